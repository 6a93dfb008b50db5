import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file written with POSIX writes, hashed on the way (a blob's digest is known when it is closed).
final class HashingFileSink {
    private let fd: Int32
    let path: String
    private(set) var hasher = DigestHasher()

    /// Writes everything `input` yields, to its end.
    func copy(from input: some ByteSource) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
            if n == 0 { break }
            try buffer.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw ImageError.io("cannot create \(path): \(errnoText())") }
    }

    deinit { close(fd) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes)
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw ImageError.io("cannot write \(path): \(errnoText())")
            }
            done += n
        }
    }

    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    /// Flushes to disk: a blob is renamed into the store only once it is durable.
    func sync() throws {
        if fsync(fd) != 0 { throw ImageError.io("cannot sync \(path): \(errnoText())") }
    }
}

/// Writes a directory tree as a tar stream (ustar headers, pax records for long names and large values),
/// in sorted order with hard links kept: the layer of an image made from a root filesystem directory.
struct TarWriter {
    let sink: HashingFileSink

    /// Archives the contents of `root` (not `root` itself), names relative to it.
    func archive(directory root: String) throws {
        var seenInodes: [String: String] = [:]  // "dev:ino" → first path, for hard links
        try walk(root: root, relative: "", seen: &seenInodes)
        try sink.write([UInt8](repeating: 0, count: 1024))
    }

    private func walk(root: String, relative: String, seen: inout [String: String]) throws {
        let directory = relative.isEmpty ? root : root + "/" + relative
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted() } catch {
            throw ImageError.io("cannot list \(directory): \(error.localizedDescription)")
        }
        for name in names {
            let path = relative.isEmpty ? name : relative + "/" + name
            let full = root + "/" + path
            var info = stat()
            guard lstat(full, &info) == 0 else { throw ImageError.io("cannot stat \(full): \(errnoText())") }
            let type = info.st_mode & S_IFMT
            var header = Header(
                path: path, mode: UInt32(info.st_mode & 0o7777), uid: Int(info.st_uid), gid: Int(info.st_gid),
                mtime: Int64(info.st_mtim.tv_sec))
            switch type {
            case S_IFDIR:
                header.type = UInt8(ascii: "5")
                header.path += "/"
                try write(header)
                try walk(root: root, relative: path, seen: &seen)
            case S_IFREG:
                let key = "\(info.st_dev):\(info.st_ino)"
                if info.st_nlink > 1, let first = seen[key] {
                    header.type = UInt8(ascii: "1")
                    header.link = first
                    try write(header)
                    continue
                }
                if info.st_nlink > 1 { seen[key] = path }
                header.size = Int64(info.st_size)
                try write(header)
                try copyFile(full, size: header.size)
            case S_IFLNK:
                var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(full, &target, target.count - 1)
                guard n >= 0 else { throw ImageError.io("cannot read link \(full): \(errnoText())") }
                header.type = UInt8(ascii: "2")
                header.link = String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                try write(header)
            case S_IFCHR, S_IFBLK:
                header.type = type == S_IFCHR ? UInt8(ascii: "3") : UInt8(ascii: "4")
                let dev = UInt64(info.st_rdev)
                header.devMajor = Int64(((dev >> 8) & 0xFFF) | ((dev >> 32) & ~0xFFF))
                header.devMinor = Int64((dev & 0xFF) | ((dev >> 12) & ~0xFF))
                try write(header)
            case S_IFIFO:
                header.type = UInt8(ascii: "6")
                try write(header)
            default:
                continue  // sockets have no place in an image
            }
        }
    }

    private func copyFile(_ path: String, size: Int64) throws {
        let source = try FileSource(path: path)
        var left = size
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while left > 0 {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { throw ImageError.io("\(path) shrank while it was archived") }
            let take = Int(min(Int64(n), left))
            try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<take])) }
            left -= Int64(take)
        }
        let pad = Int((512 - size % 512) % 512)
        if pad > 0 { try sink.write([UInt8](repeating: 0, count: pad)) }
    }

    struct Header {
        var path: String
        var mode: UInt32
        var uid: Int
        var gid: Int
        var mtime: Int64
        var size: Int64 = 0
        var type: UInt8 = UInt8(ascii: "0")
        var link = ""
        var devMajor: Int64 = 0
        var devMinor: Int64 = 0
    }

    private func write(_ header: Header) throws {
        var pax: [(String, String)] = []
        let nameBytes = Array(header.path.utf8)
        let linkBytes = Array(header.link.utf8)
        if nameBytes.count > 100 || !header.path.allSatisfy(\.isASCII) { pax.append(("path", header.path)) }
        if linkBytes.count > 100 || !header.link.allSatisfy(\.isASCII) { pax.append(("linkpath", header.link)) }
        if header.size > 0o77777777777 { pax.append(("size", String(header.size))) }
        if header.uid > 0o7777777 { pax.append(("uid", String(header.uid))) }
        if header.gid > 0o7777777 { pax.append(("gid", String(header.gid))) }
        if !pax.isEmpty {
            var records = [UInt8]()
            for (key, value) in pax {
                let body = " \(key)=\(value)\n"
                var length = body.utf8.count + 1
                while String(length).utf8.count + body.utf8.count > length { length += 1 }
                records += Array("\(length)\(body)".utf8)
            }
            let paxName =
                "PaxHeaders/"
                + String(header.path.utf8.suffix(80).map { Character(Unicode.Scalar($0)) }.filter(\.isASCII))
            try sink.write(
                block(
                    name: Array(paxName.utf8.prefix(100)), mode: 0o644, uid: 0, gid: 0, size: Int64(records.count),
                    mtime: header.mtime, type: UInt8(ascii: "x"), link: [], devMajor: 0, devMinor: 0))
            try sink.write(records + [UInt8](repeating: 0, count: (512 - records.count % 512) % 512))
        }
        try sink.write(
            block(
                name: Array(nameBytes.prefix(100)), mode: header.mode, uid: min(header.uid, 0o7777777),
                gid: min(header.gid, 0o7777777), size: min(header.size, 0o77777777777), mtime: header.mtime,
                type: header.type, link: Array(linkBytes.prefix(100)), devMajor: header.devMajor,
                devMinor: header.devMinor))
    }

    private func block(
        name: [UInt8], mode: UInt32, uid: Int, gid: Int, size: Int64, mtime: Int64, type: UInt8, link: [UInt8],
        devMajor: Int64, devMinor: Int64
    ) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int) { for (i, b) in bytes.enumerated() { block[offset + i] = b } }
        func octal(_ value: Int64, width: Int, at offset: Int) {
            let text = String(max(value, 0), radix: 8)
            put(Array((String(repeating: "0", count: max(0, width - 1 - text.count)) + text).utf8), at: offset)
        }
        put(name, at: 0)
        octal(Int64(mode), width: 8, at: 100)
        octal(Int64(uid), width: 8, at: 108)
        octal(Int64(gid), width: 8, at: 116)
        octal(size, width: 12, at: 124)
        octal(max(0, min(mtime, 0o77777777777)), width: 12, at: 136)
        block[156] = type
        put(link, at: 157)
        put(Array("ustar\u{0}00".utf8), at: 257)
        octal(devMajor, width: 8, at: 329)
        octal(devMinor, width: 8, at: 337)
        put([UInt8](repeating: UInt8(ascii: " "), count: 8), at: 148)
        let sum = block.reduce(0) { $0 + Int64($1) }
        octal(sum, width: 7, at: 148)
        block[155] = UInt8(ascii: " ")
        return block
    }
}
