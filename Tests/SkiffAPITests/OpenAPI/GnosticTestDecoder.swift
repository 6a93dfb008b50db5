/// A minimal protobuf reader for the tests: it knows wire types, not messages, so a test names each
/// field by its number in gnostic's `OpenAPIv2.proto` and checks the encoder against that, not against itself.
struct DecodedGnosticProto {
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        case bytes(ArraySlice<UInt8>)
    }

    struct DecodingError: Error, CustomStringConvertible {
        let description: String
    }

    /// Fields in wire order.
    let fields: [(number: Int, value: Value)]

    init(_ bytes: some Collection<UInt8>) throws {
        let bytes = Array(bytes)
        var index = 0
        func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard index < bytes.count, shift < 64 else {
                    throw DecodingError(description: "bad varint at \(index)")
                }
                let byte = bytes[index]
                index += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return result }
                shift += 7
            }
        }
        func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count >= 0, index + count <= bytes.count else {
                throw DecodingError(description: "truncated at \(index)")
            }
            defer { index += count }
            return bytes[index..<(index + count)]
        }
        var fields: [(number: Int, value: Value)] = []
        while index < bytes.count {
            let tag = try varint()
            let number = Int(tag >> 3)
            guard number > 0 else { throw DecodingError(description: "field number 0 at \(index)") }
            switch tag & 7 {
            case 0: fields.append((number, .varint(try varint())))
            case 1: fields.append((number, .fixed64(try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) })))
            case 2: fields.append((number, .bytes(try take(Int(try varint())))))
            case 5: fields.append((number, .fixed32(try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) })))
            default: throw DecodingError(description: "wire type \(tag & 7) at \(index)")
            }
        }
        self.fields = fields
    }

    /// Every length-delimited value of field `number`, decoded as a message.
    func messages(_ number: Int) throws -> [DecodedGnosticProto] {
        try fields.compactMap { field -> DecodedGnosticProto? in
            guard field.number == number, case .bytes(let bytes) = field.value else { return nil }
            return try DecodedGnosticProto(bytes)
        }
    }

    /// The last value of message field `number` (protobuf's rule for a repeated non-repeated field).
    func message(_ number: Int) throws -> DecodedGnosticProto? { try messages(number).last }

    /// Every length-delimited value of field `number`, as UTF-8 text.
    func strings(_ number: Int) -> [String] {
        fields.compactMap { field in
            guard field.number == number, case .bytes(let bytes) = field.value else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Field `number` as a string; "" (the proto3 default) when absent.
    func string(_ number: Int) -> String { strings(number).last ?? "" }

    /// Field `number` as a varint; `nil` when absent.
    func varint(_ number: Int) -> UInt64? {
        fields.last { $0.number == number }.flatMap { if case .varint(let value) = $0.value { value } else { nil } }
    }

    /// Field `number` as a double; `nil` when absent.
    func double(_ number: Int) -> Double? {
        fields.last { $0.number == number }.flatMap {
            if case .fixed64(let bits) = $0.value { Double(bitPattern: bits) } else { nil }
        }
    }

    /// Whether field `number` is present at all.
    func has(_ number: Int) -> Bool { fields.contains { $0.number == number } }

    /// The `value` (2) of the `Named*` entry (field `number`) whose `name` (1) is `name`.
    func named(_ number: Int, _ name: String) throws -> DecodedGnosticProto? {
        try messages(number).first { $0.string(1) == name }?.message(2)
    }

    /// The names (1) of the `Named*` entries in field `number`, in order.
    func names(_ number: Int) throws -> [String] { try messages(number).map { $0.string(1) } }

    /// The YAML text of the vendor extension `name` (`NamedAny` in field `number`; `Any.yaml` is field 2).
    func extensionYAML(_ number: Int, _ name: String) throws -> String? {
        try named(number, name)?.string(2)
    }
}
