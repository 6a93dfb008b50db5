import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a /proc or /sys file whole. Foundation's file reading trusts `st_size`, which is 0 or a page for
/// these files, and so returns only the first 4 KiB of a long `/proc/self/mountinfo`.
enum KernelFile {
    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                data.append(contentsOf: buffer[0..<count])
            } else if count < 0, errno == EINTR {
                continue
            } else if count < 0 {
                return nil
            } else {
                break
            }
        }
        return String(decoding: data, as: UTF8.self)
    }
}
