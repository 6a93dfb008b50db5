import SkiffAPI
/// Appends protobuf wire-format fields to one growing buffer.
///
/// Which fields to omit (proto3 defaults) is the caller's decision; this type only encodes.
/// Nested messages are written in place behind a one-byte length that is widened afterwards
/// when the body turns out longer than 127 bytes, so no message is built in a buffer of its own.
struct GnosticWireWriter {
    private(set) var bytes: [UInt8] = []

    init(reservingCapacity capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    private mutating func appendVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    private mutating func appendTag(_ field: Int, wireType: UInt8) {
        appendVarint(UInt64(field) << 3 | UInt64(wireType))
    }

    /// A `string` field (wire type 2).
    mutating func writeString(_ field: Int, _ value: String) {
        appendTag(field, wireType: 2)
        let utf8 = value.utf8
        appendVarint(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// A `bool` field (wire type 0).
    mutating func writeBool(_ field: Int, _ value: Bool) {
        appendTag(field, wireType: 0)
        bytes.append(value ? 1 : 0)
    }

    /// An `int64` field (wire type 0; negative values take ten bytes, as protobuf requires).
    mutating func writeInt64(_ field: Int, _ value: Int64) {
        appendTag(field, wireType: 0)
        appendVarint(UInt64(bitPattern: value))
    }

    /// A `double` field (wire type 1, little-endian IEEE 754).
    mutating func writeDouble(_ field: Int, _ value: Double) {
        appendTag(field, wireType: 1)
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 64, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
    }

    /// A length-delimited field (a message, or bytes) whose body `writeBody` appends.
    mutating func writeLengthDelimited<Failure: Error>(
        _ field: Int, _ writeBody: (inout GnosticWireWriter) throws(Failure) -> Void
    ) throws(Failure) {
        appendTag(field, wireType: 2)
        bytes.append(0)
        let start = bytes.count
        try writeBody(&self)
        let length = bytes.count - start
        if length < 0x80 {
            bytes[start - 1] = UInt8(length)
            return
        }
        var prefix: [UInt8] = []
        var remaining = UInt64(length)
        while remaining >= 0x80 {
            prefix.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        prefix.append(UInt8(remaining))
        bytes[start - 1] = prefix[0]
        bytes.insert(contentsOf: prefix[1...], at: start)
    }

    /// Appends raw bytes inside a length-delimited body.
    mutating func appendRaw(_ byte: UInt8) {
        bytes.append(byte)
    }

    /// Appends raw bytes inside a length-delimited body.
    mutating func appendRaw(contentsOf raw: some Sequence<UInt8>) {
        bytes.append(contentsOf: raw)
    }
}
