/// One member of a tar archive (ustar, GNU long names, pax extended headers).
struct TarEntry {
    enum Kind: Equatable { case file, directory, symlink, hardlink, characterDevice, blockDevice, fifo }

    var path: String
    var kind: Kind
    var mode: UInt32
    var uid: Int
    var gid: Int
    var size: Int64
    var mtime: Int64
    var linkTarget: String
    var deviceMajor: UInt32
    var deviceMinor: UInt32
    var xattrs: [String: [UInt8]]
}

/// Reads a tar stream entry by entry; the caller reads or skips each entry's data before asking for the next.
final class TarReader {
    private let source: any ByteSource
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var remaining: Int64 = 0  // data bytes (plus padding) of the current entry not yet consumed
    private var padding: Int64 = 0
    private var offset: Int64 = 0
    private var globalPax: [String: [UInt8]] = [:]

    init(_ source: any ByteSource) {
        self.source = source
        buffer = [UInt8](repeating: 0, count: 1 << 16)
    }

    /// The next entry, or nil at the end of the archive.
    func next() throws -> TarEntry? {
        try skipData()
        var pax: [String: [UInt8]] = [:]
        var longName: String?
        var longLink: String?
        while true {
            let headerOffset = offset
            guard let header = try readBlock() else {
                if headerOffset == 0 { throw ImageError.badInput("not a tar archive: it is empty") }
                return nil  // end without the two zero blocks: accepted, as GNU tar does
            }
            if header.allSatisfy({ $0 == 0 }) { return nil }
            try verifyChecksum(header, at: headerOffset)
            let type = header[156]
            let size = try number(header[124..<136], field: "size", at: headerOffset)
            guard size >= 0 else { throw ImageError.badInput("corrupt tar: negative size at offset \(headerOffset)") }
            switch type {
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                let records = try parsePax(try readSmallData(size, at: headerOffset), at: headerOffset)
                if type == UInt8(ascii: "g") { globalPax.merge(records) { $1 } } else { pax.merge(records) { $1 } }
                continue
            case UInt8(ascii: "L"):
                longName = cString(try readSmallData(size, at: headerOffset)[...])
                continue
            case UInt8(ascii: "K"):
                longLink = cString(try readSmallData(size, at: headerOffset)[...])
                continue
            default: break
            }
            let raw = globalPax.merging(pax) { $1 }
            let fields = raw.mapValues { String(decoding: $0, as: UTF8.self) }
            if fields.keys.contains(where: { $0.hasPrefix("GNU.sparse") }) || type == UInt8(ascii: "S") {
                throw ImageError.unsupported("tar entry at offset \(headerOffset): sparse files are not supported")
            }
            let isUstar = header[257..<262].elementsEqual("ustar".utf8) && header[263] == UInt8(ascii: "0")
            var name = cString(header[0..<100])
            if isUstar {
                let prefix = cString(header[345..<500])
                if !prefix.isEmpty { name = prefix + "/" + name }
            }
            name = fields["path"] ?? longName ?? name
            let link = fields["linkpath"] ?? longLink ?? cString(header[157..<257])
            var entrySize = size
            if let text = fields["size"] {
                guard let value = Int64(text), value >= 0 else {
                    throw ImageError.badInput("corrupt tar: bad pax size \"\(text)\"")
                }
                entrySize = value
            }
            let kind: TarEntry.Kind
            switch type {
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = name.hasSuffix("/") ? .directory : .file
            case UInt8(ascii: "1"): kind = .hardlink
            case UInt8(ascii: "2"): kind = .symlink
            case UInt8(ascii: "3"): kind = .characterDevice
            case UInt8(ascii: "4"): kind = .blockDevice
            case UInt8(ascii: "5"): kind = .directory
            case UInt8(ascii: "6"): kind = .fifo
            default:
                throw ImageError.unsupported(
                    "tar entry \"\(name)\": unsupported type '\(Character(Unicode.Scalar(type)))'")
            }
            var xattrs: [String: [UInt8]] = [:]
            for (key, value) in raw where key.hasPrefix("SCHILY.xattr.") {
                xattrs[String(key.dropFirst("SCHILY.xattr.".count))] = value
            }
            let headerUID = Int(try number(header[108..<116], field: "uid", at: headerOffset))
            let headerGID = Int(try number(header[116..<124], field: "gid", at: headerOffset))
            let headerMtime = try number(header[136..<148], field: "mtime", at: headerOffset)
            let entry = TarEntry(
                path: name, kind: kind,
                mode: UInt32(truncatingIfNeeded: try number(header[100..<108], field: "mode", at: headerOffset))
                    & 0o7777,
                uid: fields["uid"].flatMap { Int($0) } ?? headerUID,
                gid: fields["gid"].flatMap { Int($0) } ?? headerGID,
                size: (kind == .file) ? entrySize : 0,
                mtime: fields["mtime"].flatMap { Double($0) }.map { Int64($0) } ?? headerMtime,
                linkTarget: link,
                deviceMajor: UInt32(
                    truncatingIfNeeded: (try? number(header[329..<337], field: "devmajor", at: headerOffset)) ?? 0),
                deviceMinor: UInt32(
                    truncatingIfNeeded: (try? number(header[337..<345], field: "devminor", at: headerOffset)) ?? 0),
                xattrs: xattrs)
            // Hard links and others may still carry data bytes in the archive: skip them with the entry.
            remaining = entrySize
            padding = (512 - entrySize % 512) % 512
            return entry
        }
    }

    /// Passes the current entry's data to `body` chunk by chunk.
    func readData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        while remaining > 0 {
            if start == end { try fill(at: offset) }
            let n = min(Int64(end - start), remaining)
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<start + Int(n)])) }
            start += Int(n)
            remaining -= n
            offset += n
        }
        try consume(padding)
        padding = 0
    }

    /// Drains the whole stream (trailing blocks after the end marker), so a hash over it covers every byte.
    func drain() throws {
        try skipData()
        start = end
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        while try scratch.withUnsafeMutableBytes({ try source.read(into: $0) }) > 0 {}
    }

    private func skipData() throws {
        try consume(remaining)
        remaining = 0
        try consume(padding)
        padding = 0
    }

    private func consume(_ count: Int64) throws {
        var left = count
        while left > 0 {
            if start == end { try fill(at: offset) }
            let n = Int(min(Int64(end - start), left))
            start += n
            left -= Int64(n)
            offset += Int64(n)
        }
    }

    private func fill(at position: Int64) throws {
        let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 { throw ImageError.badInput("corrupt tar: the archive ends inside an entry (offset \(position))") }
        start = 0
        end = n
    }

    /// 512 bytes, or nil at a clean end of stream.
    private func readBlock() throws -> [UInt8]? {
        var block = [UInt8]()
        block.reserveCapacity(512)
        while block.count < 512 {
            if start == end {
                let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 {
                    if block.isEmpty { return nil }
                    throw ImageError.badInput("corrupt tar: truncated header at offset \(offset)")
                }
                start = 0
                end = n
            }
            let n = min(end - start, 512 - block.count)
            block.append(contentsOf: buffer[start..<start + n])
            start += n
            offset += Int64(n)
        }
        return block
    }

    private func readSmallData(_ size: Int64, at headerOffset: Int64) throws -> [UInt8] {
        guard size <= 1 << 20 else {
            throw ImageError.badInput("corrupt tar: extended header of \(size) bytes at offset \(headerOffset)")
        }
        remaining = size
        padding = (512 - size % 512) % 512
        var data = [UInt8]()
        try readData { data.append(contentsOf: $0) }
        return data
    }

    private func verifyChecksum(_ header: [UInt8], at headerOffset: Int64) throws {
        let stored = try number(header[148..<156], field: "checksum", at: headerOffset)
        var unsigned: Int64 = 0
        var signed: Int64 = 0
        for (i, byte) in header.enumerated() {
            let value = (148..<156).contains(i) ? UInt8(ascii: " ") : byte
            unsigned += Int64(value)
            signed += Int64(Int8(bitPattern: value))
        }
        guard stored == unsigned || stored == signed else {
            throw ImageError.badInput("not a tar archive or corrupt: bad header checksum at offset \(headerOffset)")
        }
    }

    /// Octal (NUL/space padded) or GNU base-256 (high bit set).
    private func number(_ field: ArraySlice<UInt8>, field name: String, at headerOffset: Int64) throws -> Int64 {
        guard let first = field.first else { return 0 }
        if first & 0x80 != 0 {
            var value: Int64 = Int64(first & 0x7F)
            for byte in field.dropFirst() {
                guard value < Int64.max >> 8 else {
                    throw ImageError.badInput("corrupt tar: \(name) overflows at offset \(headerOffset)")
                }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        var value: Int64 = 0
        var seenDigit = false
        for byte in field {
            if byte == 0 || byte == UInt8(ascii: " ") {
                if seenDigit { break } else { continue }
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(byte), value < Int64.max >> 3 else {
                throw ImageError.badInput("not a tar archive or corrupt: bad \(name) field at offset \(headerOffset)")
            }
            value = value << 3 | Int64(byte - UInt8(ascii: "0"))
            seenDigit = true
        }
        return value
    }

    /// Records `"%d key=value\n"`.
    private func parsePax(_ data: [UInt8], at headerOffset: Int64) throws -> [String: [UInt8]] {
        var records: [String: [UInt8]] = [:]
        var i = 0
        while i < data.count {
            if data[i] == 0 { break }
            guard let space = data[i...].firstIndex(of: UInt8(ascii: " ")),
                let length = Int(String(decoding: data[i..<space], as: UTF8.self)), length > 0,
                i + length <= data.count,
                data[i + length - 1] == UInt8(ascii: "\n"),
                let equals = data[(space + 1)..<(i + length)].firstIndex(of: UInt8(ascii: "="))
            else { throw ImageError.badInput("corrupt tar: bad pax header at offset \(headerOffset)") }
            let key = String(decoding: data[(space + 1)..<equals], as: UTF8.self)
            let value = Array(data[(equals + 1)..<(i + length - 1)])
            records[key] = value
            i += length
        }
        return records
    }

    private func cString(_ bytes: ArraySlice<UInt8>) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        return String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
    }
}
