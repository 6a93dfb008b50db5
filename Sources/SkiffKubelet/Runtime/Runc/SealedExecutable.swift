import CLinuxExtras
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// runc protects its binary from containers (CVE-2019-5736) by copying itself into a sealed memfd every time
/// `runc init` starts, unless it already runs from one: 8.7 MB copied per container and per exec. A copy
/// sealed once here, with runc's own seals, and run as `/proc/<kubelet>/fd/<n>`, spares that copy while
/// keeping the protection (a sealed memfd cannot be written). Where no memfd can be made, runc runs from
/// its path as before.
final class SealedExecutable: Sendable {
    /// What to execute: the memfd through this process's fd table, or the original path.
    let path: String
    private let descriptor: Int32

    init(copying original: String) {
        guard let copy = Self.sealedCopy(of: original) else {
            path = original
            descriptor = -1
            return
        }
        descriptor = copy
        // The child resolves this before its exec closes descriptors, through this process's table.
        path = "/proc/\(getpid())/fd/\(copy)"
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    private static func sealedCopy(of original: String) -> Int32? {
        let source = open(original, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { return nil }
        defer { close(source) }
        // MFD_CLOEXEC | MFD_ALLOW_SEALING.
        let memfd = memfd_create("runc", 0x1 | 0x2)
        guard memfd >= 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                close(memfd)
                return nil
            }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes { write(memfd, $0.baseAddress.map { $0 + offset }, count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    close(memfd)
                    return nil
                }
                offset += written
            }
        }
        // fchmod: a memfd starts 0777 under the umask; the copy must be executable.
        guard fchmod(memfd, 0o755) == 0, skiff_seal_memfd(memfd) == 0 else {
            close(memfd)
            return nil
        }
        return memfd
    }
}
