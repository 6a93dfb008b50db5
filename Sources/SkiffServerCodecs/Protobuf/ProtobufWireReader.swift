import SkiffAPI
/// The protobuf wire types (https://protobuf.dev/programming-guides/encoding/).
enum ProtobufWireType: UInt8 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// Reads protobuf wire format from a byte range without copying. Offsets are absolute in `bytes`, so errors can
/// name the byte where a body went wrong.
struct ProtobufWireReader {
    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var offset: Int
    let end: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>) {
        self.bytes = bytes
        self.offset = range.lowerBound
        self.end = range.upperBound
    }

    var isAtEnd: Bool { offset >= end }

    mutating func readVarint() throws(KubernetesProtobufError) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw .truncated("varint", at: start) }
            let byte = bytes[offset]
            offset += 1
            // The tenth byte may only carry the top bit of a 64-bit value (Go's decoder calls more an overflow).
            if shift == 63, byte > 1 { throw .malformed("varint overflows 64 bits", at: start) }
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    /// The next field's number and wire type, or `nil` at the end of the range.
    mutating func readTag() throws(KubernetesProtobufError) -> (number: Int, wireType: ProtobufWireType)? {
        guard offset < end else { return nil }
        let start = offset
        let tag = try readVarint()
        let number = tag >> 3
        guard number > 0, number <= 0x1fff_ffff else {
            throw .malformed("illegal field number \(number)", at: start)
        }
        guard let wireType = ProtobufWireType(rawValue: UInt8(tag & 7)) else {
            throw .malformed("illegal wire type \(tag & 7) for field \(number)", at: start)
        }
        return (Int(number), wireType)
    }

    mutating func readFixed64() throws(KubernetesProtobufError) -> UInt64 {
        guard end - offset >= 8 else { throw .truncated("fixed64 value", at: offset) }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
        offset += 8
        return value
    }

    mutating func readFixed32() throws(KubernetesProtobufError) -> UInt64 {
        guard end - offset >= 4 else { throw .truncated("fixed32 value", at: offset) }
        var value: UInt64 = 0
        for index in 0..<4 { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
        offset += 4
        return value
    }

    /// The range of a length-delimited value (string, bytes, message or packed scalars).
    mutating func readLengthDelimited() throws(KubernetesProtobufError) -> Range<Int> {
        let start = offset
        let length = try readVarint()
        guard length <= UInt64(end - offset) else { throw .truncated("length-delimited value", at: start) }
        let range = offset..<(offset + Int(length))
        offset = range.upperBound
        return range
    }

    /// Skips the value of a field this reader's caller does not know, as Go's generated `skipGenerated` does.
    mutating func skipValue(of wireType: ProtobufWireType, number: Int) throws(KubernetesProtobufError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .endGroup: throw .malformed("end group for field \(number) without a start", at: offset)
        case .startGroup:
            // Groups nest; skip until the matching end group.
            var depth = 1
            while depth > 0 {
                guard let (inner, innerType) = try readTag() else { throw .truncated("group", at: offset) }
                switch innerType {
                case .startGroup: depth += 1
                case .endGroup: depth -= 1
                default: try skipValue(of: innerType, number: inner)
                }
            }
        }
    }
}
