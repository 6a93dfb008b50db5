import CZlib

/// The header compression of one SPDY/3 connection: a zlib stream per direction, primed with the SPDY
/// dictionary and kept for the connection's life (each header block ends with a sync flush), as Go's
/// `spdy.Framer` does on the client side. Used only on the connection's event loop.
final class SPDYHeaderCompression {
    private let deflater: UnsafeMutablePointer<z_stream>
    private let inflater: UnsafeMutablePointer<z_stream>
    private let dictionary = SPDYDictionary.bytes

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init() throws {
        deflater = .allocate(capacity: 1)
        deflater.initialize(to: z_stream())
        inflater = .allocate(capacity: 1)
        inflater.initialize(to: z_stream())
        let size = Int32(MemoryLayout<z_stream>.size)
        guard deflateInit_(deflater, Z_BEST_COMPRESSION, zlibVersion(), size) == Z_OK,
              inflateInit_(inflater, zlibVersion(), size) == Z_OK else {
            throw Failure(description: "zlib initialisation failed")
        }
        let status = dictionary.withUnsafeBufferPointer {
            deflateSetDictionary(deflater, $0.baseAddress, UInt32($0.count))
        }
        guard status == Z_OK else { throw Failure(description: "zlib dictionary refused") }
    }

    deinit {
        deflateEnd(deflater)
        inflateEnd(inflater)
        deflater.deallocate()
        inflater.deallocate()
    }

    /// The compressed form of a header block.
    func compress(_ block: [UInt8]) -> [UInt8] {
        var input = block
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        input.withUnsafeMutableBufferPointer { inBuffer in
            deflater.pointee.next_in = inBuffer.baseAddress
            deflater.pointee.avail_in = UInt32(inBuffer.count)
            repeat {
                let produced = chunk.withUnsafeMutableBufferPointer { outBuffer -> Int in
                    deflater.pointee.next_out = outBuffer.baseAddress
                    deflater.pointee.avail_out = UInt32(outBuffer.count)
                    _ = deflate(deflater, Z_SYNC_FLUSH)
                    return outBuffer.count - Int(deflater.pointee.avail_out)
                }
                output += chunk[..<produced]
            } while deflater.pointee.avail_out == 0
            deflater.pointee.next_in = nil
        }
        return output
    }

    /// The header block in `bytes`; throws when the stream is corrupt.
    func decompress(_ bytes: [UInt8]) throws -> [UInt8] {
        var input = bytes
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        try input.withUnsafeMutableBufferPointer { inBuffer in
            inflater.pointee.next_in = inBuffer.baseAddress
            inflater.pointee.avail_in = UInt32(inBuffer.count)
            defer { inflater.pointee.next_in = nil }
            while true {
                var status: Int32 = Z_OK
                let produced = chunk.withUnsafeMutableBufferPointer { outBuffer -> Int in
                    inflater.pointee.next_out = outBuffer.baseAddress
                    inflater.pointee.avail_out = UInt32(outBuffer.count)
                    status = inflate(inflater, Z_SYNC_FLUSH)
                    return outBuffer.count - Int(inflater.pointee.avail_out)
                }
                output += chunk[..<produced]
                if status == Z_NEED_DICT {
                    let set = dictionary.withUnsafeBufferPointer {
                        inflateSetDictionary(inflater, $0.baseAddress, UInt32($0.count))
                    }
                    guard set == Z_OK else { throw Failure(description: "SPDY header dictionary refused") }
                    continue
                }
                guard status == Z_OK || status == Z_BUF_ERROR || status == Z_STREAM_END else {
                    throw Failure(description: "corrupt SPDY header block (zlib \(status))")
                }
                if inflater.pointee.avail_in == 0, inflater.pointee.avail_out != 0 { break }
                if status == Z_BUF_ERROR, produced == 0 { break }
            }
        }
        return output
    }
}

/// SPDY/3 name/value blocks: a 32-bit count, then each name and value with a 32-bit length; several values of
/// one name are joined by NUL. Names are lower case on the wire.
enum SPDYHeaderBlock {
    static func encode(_ headers: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        func put(_ value: UInt32) { out += [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }
        put(UInt32(headers.count))
        for (name, value) in headers {
            put(UInt32(name.utf8.count))
            out += name.lowercased().utf8
            put(UInt32(value.utf8.count))
            out += value.utf8
        }
        return out
    }

    /// Names (lower case) to their first value; nil when the block is malformed.
    static func decode(_ bytes: [UInt8]) -> [String: String]? {
        var index = 0
        func get() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            defer { index += 4 }
            return bytes[index..<index + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        func text() -> String? {
            guard let count = get().map(Int.init), index + count <= bytes.count else { return nil }
            defer { index += count }
            return String(decoding: bytes[index..<index + count], as: UTF8.self)
        }
        guard let count = get() else { return nil }
        var headers: [String: String] = [:]
        for _ in 0..<count {
            guard let name = text(), let value = text() else { return nil }
            headers[name.lowercased()] = value.split(separator: "\0", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        }
        return headers
    }
}
