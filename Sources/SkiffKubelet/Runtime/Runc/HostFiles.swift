import SkiffHost
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Plain system calls for the files a pod's start creates (namespace files, `/etc` files, `config.json`,
/// bundle directories). Foundation's `Data.write` fsyncs every file and `createDirectory` stats every
/// component: together a few milliseconds per pod, for files that die with the pod or the machine anyway.
enum HostFiles {
    /// Creates (or truncates) `path` with `bytes`.
    static func write(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw HostCommand.error("cannot create \(path)", errno) }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress.map { $0 + offset }, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw HostCommand.error("cannot write \(path)", errno)
            }
            offset += written
        }
    }

    /// `mkdir -p`: `path` and any missing parents.
    static func makeDirectories(_ path: String) throws {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        guard errno == ENOENT, let slash = path.lastIndex(of: "/"), slash != path.startIndex else {
            throw HostCommand.error("cannot create the directory \(path)", errno)
        }
        try makeDirectories(String(path[..<slash]))
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw HostCommand.error("cannot create the directory \(path)", errno) }
    }
}
