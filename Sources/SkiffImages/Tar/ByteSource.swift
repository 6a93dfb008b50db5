import CZlib
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A pull stream of bytes: tar archives are read through these, never loaded whole.
protocol ByteSource: AnyObject {
    /// Fills up to `buffer.count` bytes; returns 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A file read with plain POSIX reads.
final class FileSource: ByteSource {
    private let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw ImageError.io("cannot open \(path): \(errnoText())") }
    }

    deinit { close(fd) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw ImageError.io("cannot read \(path): \(errnoText())")
        }
    }
}

/// Hashes (and counts) what passes through: the diffID of a layer is the digest of its uncompressed tar.
final class HashingSource: ByteSource {
    private let inner: any ByteSource
    private(set) var hasher = DigestHasher()

    init(_ inner: any ByteSource) { self.inner = inner }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try inner.read(into: buffer)
        if n > 0 { hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
        return n
    }
}

/// Gzip decompression with zlib (concatenated members included, as `gzip -d` reads them).
final class GzipSource: ByteSource {
    private let inner: any ByteSource
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var innerDone = false
    private var finished = false

    init(_ inner: any ByteSource) throws {
        self.inner = inner
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: 1 << 16, alignment: 1)
        // 15 + 32: a zlib or gzip header, detected automatically.
        guard inflateInit2_(stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            input.deallocate()
            throw ImageError.io("cannot initialise zlib")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    private func refill() throws {
        guard stream.pointee.avail_in == 0, !innerDone else { return }
        let n = try inner.read(into: input)
        if n == 0 { innerDone = true }
        stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = uInt(n)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, buffer.count > 0 else { return 0 }
        stream.pointee.next_out = buffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(buffer.count)
        while stream.pointee.avail_out == uInt(buffer.count) {
            try refill()
            if stream.pointee.avail_in == 0, innerDone {
                throw ImageError.badInput("gzip data ends early (truncated file)")
            }
            let status = inflate(stream, Z_NO_FLUSH)
            if status == Z_STREAM_END {
                // Another member follows only when the next bytes are a gzip header; padding is ignored.
                try refill()
                if stream.pointee.avail_in > 0, stream.pointee.next_in.pointee == 0x1F {
                    inflateReset(stream)
                    continue
                }
                finished = true
                break
            }
            if status == Z_BUF_ERROR { continue }
            if status != Z_OK {
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                throw ImageError.badInput("corrupt gzip data: \(message)")
            }
        }
        return buffer.count - Int(stream.pointee.avail_out)
    }
}

/// How a blob or file is compressed, from its first bytes.
enum Compression: Equatable {
    case none, gzip, zstd, bzip2, xz

    static func detect(path: String) throws -> Compression {
        let source = try FileSource(path: path)
        var magic = [UInt8](repeating: 0, count: 6)
        let n = try magic.withUnsafeMutableBytes { try source.read(into: $0) }
        let head = magic.prefix(n)
        if head.starts(with: [0x1F, 0x8B]) { return .gzip }
        if head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        if head.starts(with: [0x42, 0x5A, 0x68]) { return .bzip2 }
        if head.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
        return .none
    }

    /// The file's content, decompressed; only gzip and plain tar are read.
    static func open(path: String) throws -> any ByteSource {
        switch try detect(path: path) {
        case .none: return try FileSource(path: path)
        case .gzip: return try GzipSource(FileSource(path: path))
        case let other:
            throw ImageError.unsupported("\(path): \(other)-compressed data is not supported (use gzip or plain tar)")
        }
    }
}

func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
