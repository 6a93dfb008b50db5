import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A hostPath volume's `type` check, in upstream's `checkType` words: `DirectoryOrCreate` and
/// `FileOrCreate` create what is missing (0755 directories, empty 0644 files); the others only check.
enum HostPathType {
    static func check(path: String, type: String) throws(ConfigFailure) {
        switch type {
        case "":
            return
        case "DirectoryOrCreate":
            if !exists(path) {
                do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                             attributes: [.posixPermissions: 0o755]) } catch {
                    throw ConfigFailure(description: "mkdir \(path): \(error)")
                }
            }
            try matched(path, "Directory", "directory")
        case "Directory":
            try matched(path, "Directory", "directory")
        case "FileOrCreate":
            if !exists(path) {
                let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
                guard fd >= 0 else { throw ConfigFailure(description: "open \(path): \(String(cString: strerror(errno)))") }
                close(fd)
            }
            try matched(path, "File", "file")
        case "File": try matched(path, "File", "file")
        case "Socket": try matched(path, "Socket", "socket file")
        case "CharDevice": try matched(path, "CharDevice", "character device")
        case "BlockDevice": try matched(path, "BlockDevice", "block device")
        default: throw ConfigFailure(description: "\(type) is an invalid volume type")
        }
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// The type of what is at `path`, as `hostutil.GetFileType` names it.
    static func fileType(_ path: String) throws(ConfigFailure) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ConfigFailure(description: String(cString: strerror(errno))) }
        switch info.st_mode & S_IFMT {
        case S_IFSOCK: return "Socket"
        case S_IFBLK: return "BlockDevice"
        case S_IFCHR: return "CharDevice"
        case S_IFDIR: return "Directory"
        case S_IFREG: return "File"
        default: throw ConfigFailure(description: "only recognise file, directory, socket, block device and character device")
        }
    }

    private static func matched(_ path: String, _ expected: String, _ description: String) throws(ConfigFailure) {
        guard exists(path) else { throw ConfigFailure(description: "hostPath \(path) doesn't exist") }
        let actual: String
        do { actual = try fileType(path) } catch {
            throw ConfigFailure(description: "hostPath type check failed, \(path) is not a \(description), unable to determine its type: \(error)")
        }
        if actual != expected {
            throw ConfigFailure(description: "hostPath type check failed: \(path) is not a \(description), it's a \(actual)")
        }
    }
}
