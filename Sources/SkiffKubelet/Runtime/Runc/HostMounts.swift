import CLinuxExtras
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The mounts the runc runtime makes in the kubelet's own mount namespace: each container's overlayfs root
/// and each pod's namespace files. Nothing else of a pod is mounted here (volumes are bound inside the
/// container's own mount namespace), so unmounting what lies under a pod's directory is all teardown needs.
enum HostMounts {
    /// Mounts `layers` (bottom to top) read-only under a writable `upper`, at `target`.
    static func mountOverlay(layers: [URL], upper: URL, work: URL, target: URL) throws {
        // overlayfs lists the top-most lower directory first.
        let lower = layers.reversed().map { escape($0.path) }.joined(separator: ":")
        let options = "lowerdir=\(lower),upperdir=\(escape(upper.path)),workdir=\(escape(work.path))"
        guard mount("overlay", target.path, "overlay", 0, options) == 0 else {
            let code = errno
            throw ContainerRuntimeError(
                reason: "RunContainerError",
                message: "cannot mount the container's root filesystem (overlay at \(target.path)): \(String(cString: strerror(code)))")
        }
    }

    /// overlayfs splits its options at `,` and lower directories at `:`; both are escaped with `\`.
    static func escape(_ path: String) -> String {
        path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ":", with: "\\:")
            .replacingOccurrences(of: ",", with: "\\,")
    }

    /// Detaches the mount at `path` (lazily, so a process still inside does not keep it busy).
    @discardableResult
    static func unmount(_ path: String) -> Bool {
        umount2(path, Int32(MNT_DETACH)) == 0
    }

    /// Mount points at or below `directory`, deepest first, from `/proc/self/mountinfo`.
    static func mountPoints(under directory: String) -> [String] {
        guard let text = KernelFile.read("/proc/self/mountinfo") else { return [] }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        var points: [String] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { continue }
            let point = unescapeMountInfo(String(fields[4]))
            if point == directory || point.hasPrefix(prefix) { points.append(point) }
        }
        return points.sorted { $0.count > $1.count }
    }

    /// Unmounts everything at or below `directory`; true when nothing is left mounted there.
    @discardableResult
    static func unmountAll(under directory: String) -> Bool {
        for _ in 0..<3 {
            let points = mountPoints(under: directory)
            if points.isEmpty { return true }
            for point in points { unmount(point) }
        }
        return mountPoints(under: directory).isEmpty
    }

    /// mountinfo writes space, tab, newline and backslash as `\ooo` octal escapes.
    static func unescapeMountInfo(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        let source = Array(field.utf8)
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "\\"), index + 3 < source.count,
               let value = UInt8(String(decoding: source[(index + 1)...(index + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
