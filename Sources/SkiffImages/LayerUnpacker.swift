import CLinuxExtras
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How deletions of lower-layer files are kept in an unpacked layer.
public enum WhiteoutFormat: String, Codable, Sendable {
    /// overlayfs's own form: a whiteout is a character device 0/0 and an opaque directory has the xattr
    /// `trusted.overlay.opaque=y`, so the layer directories stack directly as `lowerdir`s (needs root).
    case overlay
    /// The OCI form kept as files: `.wh.NAME` marks a deletion and `.wh..wh..opq` an opaque directory; a
    /// runtime applies them when it copies layers together (what a process without root can store).
    case marker
}

/// Unpacks a layer's tar stream into a directory, refusing entries that would escape it.
struct LayerUnpacker {
    let root: String
    let format: WhiteoutFormat
    /// Ownership, device nodes and xattrs are applied only with root's privileges.
    let privileged: Bool

    private struct DirectoryFix {
        var path: String
        var mode: UInt32
        var uid: Int
        var gid: Int
        var mtime: Int64
    }

    func unpack(_ reader: TarReader) throws {
        var directories: [DirectoryFix] = []
        while let entry = try reader.next() {
            let components = try clean(entry.path, entry: entry.path)
            guard let last = components.last else {
                directories.append(
                    DirectoryFix(path: root, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime))
                continue
            }
            let parent = try ensureParents(components, entry: entry.path)
            if last.hasPrefix(".wh."), format == .overlay {
                if last == ".wh..wh..opq" {
                    let value: [UInt8] = [UInt8(ascii: "y")]
                    guard lsetxattr(parent, "trusted.overlay.opaque", value, 1, 0) == 0 else {
                        throw ImageError.io("cannot mark \(parent) opaque: \(errnoText())")
                    }
                } else {
                    let target = parent + "/" + String(last.dropFirst(4))
                    try removeExisting(target)
                    guard mknod(target, S_IFCHR | 0o000, 0) == 0 else {
                        throw ImageError.io("cannot create whiteout \(target): \(errnoText())")
                    }
                }
                continue
            }
            let path = parent + "/" + last
            switch entry.kind {
            case .directory:
                var info = stat()
                if lstat(path, &info) == 0, info.st_mode & S_IFMT != S_IFDIR { try removeExisting(path) }
                if lstat(path, &info) != 0, mkdir(path, 0o755) != 0 {
                    throw ImageError.io("cannot create \(path): \(errnoText())")
                }
                directories.append(
                    DirectoryFix(path: path, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime))
            case .file:
                try removeExisting(path)
                let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
                guard fd >= 0 else { throw ImageError.io("cannot create \(path): \(errnoText())") }
                defer { close(fd) }
                try reader.readData { chunk in
                    var done = 0
                    while done < chunk.count {
                        let n = write(fd, chunk.baseAddress! + done, chunk.count - done)
                        if n < 0 {
                            if errno == EINTR { continue }
                            throw ImageError.io("cannot write \(path): \(errnoText())")
                        }
                        done += n
                    }
                }
                if privileged { _ = fchown(fd, uid_t(entry.uid), gid_t(entry.gid)) }
                _ = fchmod(fd, mode_t(entry.mode))
                try applyMetadata(path, entry: entry, owner: false)
            case .symlink:
                try removeExisting(path)
                guard symlink(entry.linkTarget, path) == 0 else {
                    throw ImageError.io("cannot create link \(path): \(errnoText())")
                }
                try applyMetadata(path, entry: entry, owner: true)
            case .hardlink:
                let targetComponents = try clean(entry.linkTarget, entry: entry.path)
                guard !targetComponents.isEmpty else {
                    throw ImageError.badInput("layer entry \"\(entry.path)\": hard link to the root")
                }
                let targetParent = try ensureParents(targetComponents, entry: entry.path, create: false)
                let target = targetParent + "/" + (targetComponents.last ?? "")
                try removeExisting(path)
                guard link(target, path) == 0 else {
                    throw ImageError.badInput(
                        "layer entry \"\(entry.path)\": cannot link to \"\(entry.linkTarget)\": \(errnoText())")
                }
            case .characterDevice, .blockDevice, .fifo:
                try removeExisting(path)
                if entry.kind == .fifo {
                    guard mkfifo(path, mode_t(entry.mode)) == 0 else {
                        throw ImageError.io("cannot create fifo \(path): \(errnoText())")
                    }
                } else if privileged {
                    let type = entry.kind == .characterDevice ? S_IFCHR : S_IFBLK
                    guard mknod(path, type | mode_t(entry.mode), makeDevice(entry.deviceMajor, entry.deviceMinor)) == 0
                    else {
                        throw ImageError.io("cannot create device \(path): \(errnoText())")
                    }
                } else {
                    continue  // without root a device node cannot exist; the runtime provides /dev anyway
                }
                try applyMetadata(path, entry: entry, owner: true)
            }
        }
        // Directories last, deepest first: their children changed their times, and a read-only mode
        // would have blocked writing the children.
        for fix in directories.reversed() {
            if privileged { _ = lchown(fix.path, uid_t(fix.uid), gid_t(fix.gid)) }
            _ = chmod(fix.path, mode_t(fix.mode == 0 && fix.path == root ? 0o755 : fix.mode))
            setTime(fix.path, fix.mtime)
        }
    }

    private func applyMetadata(_ path: String, entry: TarEntry, owner: Bool) throws {
        if privileged {
            if owner { _ = lchown(path, uid_t(entry.uid), gid_t(entry.gid)) }
            for (name, value) in entry.xattrs {
                // Best effort: a filesystem without the namespace (e.g. security.* on some) just lacks it.
                _ = lsetxattr(path, name, value, value.count, 0)
            }
        }
        setTime(path, entry.mtime)
    }

    private func setTime(_ path: String, _ mtime: Int64) {
        var times = [timespec(tv_sec: Int(mtime), tv_nsec: 0), timespec(tv_sec: Int(mtime), tv_nsec: 0)]
        _ = utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
    }

    /// Lexical clean of an archive path; `..` that leaves the layer is refused.
    private func clean(_ path: String, entry: String) throws -> [String] {
        var components: [String] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                guard !components.isEmpty else {
                    throw ImageError.badInput("layer entry \"\(entry)\" points outside the layer")
                }
                components.removeLast()
                continue
            }
            components.append(String(part))
        }
        return components
    }

    /// Creates missing parent directories; a parent that exists must be a real directory (never a symlink,
    /// which could lead outside the layer). Returns the parent's path.
    private func ensureParents(_ components: [String], entry: String, create: Bool = true) throws -> String {
        var path = root
        for component in components.dropLast() {
            path += "/" + component
            var info = stat()
            if lstat(path, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else {
                    throw ImageError.badInput(
                        "layer entry \"\(entry)\" goes through \"\(component)\", which is not a directory")
                }
                continue
            }
            guard create, mkdir(path, 0o755) == 0 else {
                throw ImageError.badInput("layer entry \"\(entry)\": cannot create directory \(path): \(errnoText())")
            }
        }
        return path
    }

    private func removeExisting(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        try removeTree(path)
    }
}

/// Linux's `makedev`.
func makeDevice(_ major: UInt32, _ minor: UInt32) -> dev_t {
    let major = UInt64(major)
    let minor = UInt64(minor)
    return dev_t(
        ((major & 0xFFFF_F000) << 32) | ((major & 0xFFF) << 8) | ((minor & 0xFFFF_FF00) << 12) | (minor & 0xFF))
}

/// Deletes a file or a directory tree without following symlinks, making read-only directories writable first.
func removeTree(_ path: String) throws {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if info.st_mode & S_IFMT == S_IFDIR {
        _ = chmod(path, 0o700)
        let children = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for child in children { try removeTree(path + "/" + child) }
        guard rmdir(path) == 0 || errno == ENOENT else { throw ImageError.io("cannot remove \(path): \(errnoText())") }
    } else {
        guard unlink(path) == 0 || errno == ENOENT else { throw ImageError.io("cannot remove \(path): \(errnoText())") }
    }
}
