/// Why bytes are not a valid DNS message or name.
public struct DNSWireError: Error, Hashable, CustomStringConvertible {
    private enum Base: Hashable {
        case truncated, badPointer, nameTooLong, labelTooLong, emptyLabel, badLabelType, badText, badRecordData
        case duplicateOPT
    }
    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// The input ends before the structure it announces.
    public static let truncated = DNSWireError(.truncated)
    /// A compression pointer goes forward, loops or leaves the message.
    public static let badPointer = DNSWireError(.badPointer)
    /// A name is longer than 255 bytes.
    public static let nameTooLong = DNSWireError(.nameTooLong)
    /// A label is longer than 63 bytes.
    public static let labelTooLong = DNSWireError(.labelTooLong)
    /// Text with an empty label (`a..b`).
    public static let emptyLabel = DNSWireError(.emptyLabel)
    /// A label type other than a length or a pointer (RFC 6891 retired the others).
    public static let badLabelType = DNSWireError(.badLabelType)
    /// Presentation text that cannot be a name (a dangling escape).
    public static let badText = DNSWireError(.badText)
    /// A record's data does not match its type or length.
    public static let badRecordData = DNSWireError(.badRecordData)
    /// More than one OPT record (RFC 6891 §6.1.1 makes that FORMERR).
    public static let duplicateOPT = DNSWireError(.duplicateOPT)

    public var description: String { "DNS wire error: \(base)" }
}

/// Reads big-endian fields and names from a message, checking every bound: any input ends in a value or a throw.
struct DNSWireReader {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func u8() throws(DNSWireError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() throws(DNSWireError) -> UInt16 {
        guard offset + 2 <= bytes.count else { throw .truncated }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func u32() throws(DNSWireError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw .truncated }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    mutating func bytes(_ count: Int) throws(DNSWireError) -> [UInt8] {
        guard count >= 0, offset + count <= bytes.count else { throw .truncated }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func skip(_ count: Int) throws(DNSWireError) {
        guard count >= 0, offset + count <= bytes.count else { throw .truncated }
        offset += count
    }

    /// A possibly compressed name. A pointer must aim strictly before the lowest offset read so far for this
    /// name, so every jump goes backwards and a loop cannot form; the result is at most 255 bytes.
    mutating func name() throws(DNSWireError) -> DNSName {
        var wire: [UInt8] = []
        wire.reserveCapacity(32)
        var position = offset
        var lowest = offset
        var jumped = false
        while true {
            guard position < bytes.count else { throw .truncated }
            let length = bytes[position]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    wire.append(0)
                    guard wire.count <= DNSName.maximumLength else { throw .nameTooLong }
                    if !jumped { offset = position + 1 }
                    return DNSName(validatedWire: wire)
                }
                let end = position + 1 + Int(length)
                guard end <= bytes.count else { throw .truncated }
                guard wire.count + Int(length) + 2 <= DNSName.maximumLength else { throw .nameTooLong }
                wire.append(contentsOf: bytes[position..<end])
                position = end
            case 0xC0:
                guard position + 1 < bytes.count else { throw .truncated }
                let target = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < lowest else { throw .badPointer }
                if !jumped { offset = position + 2 }
                jumped = true
                lowest = target
                position = target
            default:
                throw .badLabelType
            }
        }
    }
}

/// Appends a message's fields; compresses names against those already written (RFC 1035 §4.1.4).
struct DNSWireWriter {
    private(set) var bytes: [UInt8]
    /// Suffixes written so far and where they start; only offsets a 14-bit pointer can reach.
    private var suffixes: [(name: ArraySlice<UInt8>, offset: Int)] = []

    init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
        suffixes.reserveCapacity(16)
    }

    var count: Int { bytes.count }

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func u32(_ value: UInt32) {
        u16(UInt16(truncatingIfNeeded: value >> 16))
        u16(UInt16(truncatingIfNeeded: value))
    }

    mutating func append(_ data: some Sequence<UInt8>) { bytes.append(contentsOf: data) }

    /// Overwrites a 16-bit field already written (counts, rdata lengths).
    mutating func set(_ value: UInt16, at position: Int) {
        bytes[position] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[position + 1] = UInt8(truncatingIfNeeded: value)
    }

    /// Drops everything from `length` on, and the compression targets that lay there.
    mutating func truncate(to length: Int) {
        bytes.removeSubrange(length...)
        suffixes.removeAll { $0.offset >= length }
    }

    /// Writes `name`, replacing its longest suffix already in the message by a pointer when `compress` is set
    /// (RFC 3597 §4 forbids compressing names inside the data of types a reader may not know).
    mutating func name(_ name: DNSName, compress: Bool = true) {
        let wire = name.wire
        var index = 0
        while index < wire.count {
            let length = Int(wire[index])
            if length == 0 {
                bytes.append(0)
                return
            }
            let suffix = wire[index...]
            if compress, let found = suffixes.first(where: { DNSName.equalIgnoringCase($0.name, suffix) }) {
                u16(0xC000 | UInt16(found.offset))
                return
            }
            if compress, bytes.count < 0x4000 {
                suffixes.append((suffix, bytes.count))
            }
            bytes.append(contentsOf: wire[index...(index + length)])
            index += length + 1
        }
    }
}
