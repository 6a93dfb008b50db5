/// A domain name in its uncompressed wire form (RFC 1035 §3.1): length-prefixed labels ending with the empty
/// root label. Equality and hashing ignore ASCII case, as DNS name comparison does (RFC 4343).
public struct DNSName: Sendable, Hashable, CustomStringConvertible {
    /// The labels, each prefixed by its length, ending with a zero byte; at most 255 bytes. Original case.
    public let wire: [UInt8]

    /// The root name, `.`.
    public static let root = DNSName(validatedWire: [0])

    /// The longest name the wire format allows, root label included.
    static let maximumLength = 255

    /// A name from wire bytes the caller has already checked (labels ≤ 63, total ≤ 255, one final zero).
    init(validatedWire: [UInt8]) {
        wire = validatedWire
    }

    /// Parses presentation text: `a.b.c` or `a.b.c.` (both absolute), `\.` and `\DDD` escapes; `""` and `.` are
    /// the root. Throws when a label is empty or longer than 63 bytes, or the name is longer than 255.
    public init(_ text: String) throws(DNSWireError) {
        if text.isEmpty || text == "." {
            self = .root
            return
        }
        var wire: [UInt8] = [0]
        wire.reserveCapacity(text.utf8.count + 2)
        var labelStart = 0
        var bytes = Array(text.utf8)
        if bytes.last == UInt8(ascii: "."), !(bytes.count >= 2 && bytes[bytes.count - 2] == UInt8(ascii: "\\")) {
            bytes.removeLast()
        }
        var index = 0
        func closeLabel() throws(DNSWireError) {
            let length = wire.count - labelStart - 1
            guard length > 0 else { throw .emptyLabel }
            guard length <= 63 else { throw .labelTooLong }
            wire[labelStart] = UInt8(length)
            labelStart = wire.count
            wire.append(0)
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: ".") {
                try closeLabel()
            } else if byte == UInt8(ascii: "\\") {
                guard index < bytes.count else { throw .badText }
                if let digits = Self.decimalEscape(bytes, at: index) {
                    wire.append(digits)
                    index += 3
                } else {
                    wire.append(bytes[index])
                    index += 1
                }
            } else {
                wire.append(byte)
            }
        }
        try closeLabel()
        guard wire.count <= Self.maximumLength else { throw .nameTooLong }
        self.wire = wire
    }

    /// `\DDD` at `index` (just after the backslash), when it is three digits naming a byte.
    private static func decimalEscape(_ bytes: [UInt8], at index: Int) -> UInt8? {
        guard index + 2 < bytes.count else { return nil }
        var value = 0
        for offset in 0..<3 {
            let digit = bytes[index + offset]
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value <= 255 ? UInt8(value) : nil
    }

    /// Whether this is the root name.
    public var isRoot: Bool { wire.count == 1 }

    /// The number of labels, root excluded (`a.b.` has 2).
    public var labelCount: Int {
        var count = 0
        var index = 0
        while index < wire.count, wire[index] != 0 {
            count += 1
            index += Int(wire[index]) + 1
        }
        return count
    }

    /// The labels from left to right as text (bytes outside printable ASCII are kept as Latin-1 scalars).
    public var labels: [String] {
        var result: [String] = []
        var index = 0
        while index < wire.count, wire[index] != 0 {
            let length = Int(wire[index])
            result.append(String(decoding: wire[(index + 1)..<(index + 1 + length)], as: UTF8.self))
            index += length + 1
        }
        return result
    }

    /// The same name with ASCII letters lowered, the form lookup tables are keyed by.
    public func lowercased() -> DNSName {
        guard wire.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return self }
        return DNSName(validatedWire: wire.map(Self.lower))
    }

    /// Whether this name is `zone` or lies below it, label-aligned and ignoring case.
    public func isSubdomain(of zone: DNSName) -> Bool {
        guard wire.count >= zone.wire.count else { return false }
        let start = wire.count - zone.wire.count
        // The suffix must start on a label boundary, not inside a label that happens to end with the same bytes.
        var index = 0
        while index < start {
            guard wire[index] != 0 else { return false }
            index += Int(wire[index]) + 1
        }
        guard index == start else { return false }
        return Self.equalIgnoringCase(wire[start...], zone.wire[...])
    }

    /// The labels to the left of `zone` (`a.b` for `a.b.cluster.local` in `cluster.local`), or nil when this name
    /// is not within `zone`.
    public func labels(relativeTo zone: DNSName) -> [String]? {
        guard isSubdomain(of: zone) else { return nil }
        return Array(labels.dropLast(zone.labelCount))
    }

    /// This name with `label` added on the left; throws when the label or the result is too long.
    public func prepending(_ label: String) throws(DNSWireError) -> DNSName {
        let bytes = Array(label.utf8)
        guard !bytes.isEmpty else { throw .emptyLabel }
        guard bytes.count <= 63 else { throw .labelTooLong }
        guard wire.count + bytes.count + 1 <= Self.maximumLength else { throw .nameTooLong }
        return DNSName(validatedWire: [UInt8(bytes.count)] + bytes + wire)
    }

    /// Presentation form, absolute (with the final dot); dots and unprintable bytes inside labels are escaped.
    public var description: String {
        if isRoot { return "." }
        var text = ""
        var index = 0
        while index < wire.count, wire[index] != 0 {
            let length = Int(wire[index])
            for byte in wire[(index + 1)..<(index + 1 + length)] {
                switch byte {
                case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: ";"):
                    text += "\\" + String(UnicodeScalar(byte))
                case 0x21...0x7E:
                    text.unicodeScalars.append(UnicodeScalar(byte))
                default:
                    let digits = String(byte)
                    text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
                }
            }
            text += "."
            index += length + 1
        }
        return text
    }

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        lhs.wire.count == rhs.wire.count && equalIgnoringCase(lhs.wire[...], rhs.wire[...])
    }

    public func hash(into hasher: inout Hasher) {
        // Hash the lowered bytes in one call: per-byte `combine` would dominate a lookup.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: wire.count) { buffer in
            for (index, byte) in wire.enumerated() { buffer[index] = Self.lower(byte) }
            hasher.combine(bytes: UnsafeRawBufferPointer(buffer))
        }
    }

    @inline(__always) static func lower(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    static func equalIgnoringCase(_ lhs: ArraySlice<UInt8>, _ rhs: ArraySlice<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var left = lhs.startIndex
        var right = rhs.startIndex
        while left < lhs.endIndex {
            if lower(lhs[left]) != lower(rhs[right]) { return false }
            left += 1
            right += 1
        }
        return true
    }
}
