public import SkiffJSON

/// A resource quantity (`500m`, `2Gi`, `1e3`), kept as written; `value` and `milliValue` read it as
/// apimachinery's `resource.Quantity` does.
///
/// Equality compares the text, so `1` and `1000m` differ; compare `milliValue` to compare amounts.
/// The text is not put in canonical form (apimachinery writes `0.5` back as `500m`).
public struct Quantity: Sendable, Hashable, JSONValueConvertible, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The quantity as written.
    public var string: String

    /// Wraps `string` without checking it: `isValid` says whether it parses.
    public init(_ string: String) { self.string = string }

    public init(stringLiteral value: String) { self.string = value }

    /// The quantity `value` with no suffix (`Quantity(2)` is `2`).
    public init(_ value: Int64) { self.string = String(value) }

    /// The quantity `milliValue` thousandths, written as apimachinery writes it (`500m`, `2`).
    public init(milliValue: Int64) {
        self.string = milliValue % 1000 == 0 ? String(milliValue / 1000) : "\(milliValue)m"
    }

    public var description: String { string }

    /// Whether the text is a well-formed quantity.
    public var isValid: Bool { ParsedQuantity(string) != nil }

    /// Whether the amount is below zero.
    public var isNegative: Bool { ParsedQuantity(string).map { $0.negative && !$0.digits.isEmpty } ?? false }

    /// apimachinery's `ErrFormatWrong`, the words of a quantity that does not parse.
    public static let formatError = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

    /// The amount in whole units rounded up, away from zero (bytes for memory: `2Gi` is 2147483648);
    /// `nil` when the text is malformed or the amount does not fit in an `Int64`.
    public var value: Int64? { ParsedQuantity(string)?.scaledValue(scale: 0) }

    /// The amount in thousandths rounded up, away from zero (`100m` is 100, `0.5` is 500, `1` is 1000);
    /// `nil` when the text is malformed or the amount does not fit in an `Int64`.
    public var milliValue: Int64? { ParsedQuantity(string)?.scaledValue(scale: -3) }

    /// Reads a string or, as apimachinery also accepts, a JSON number; malformed text is an error.
    /// Strings (the usual form) are read without a `JSONValue`; numbers go through `init(json:)`.
    public init(reader: inout JSONReader) throws {
        guard try reader.peek() == .string else {
            self = try Quantity(json: try reader.readValue())
            return
        }
        let s = try reader.readString()
        let trimmed = Quantity.trimmingSpaces(s)
        guard ParsedQuantity(trimmed) != nil else { throw ModelDecodingError.invalidValue("invalid quantity \"\(s)\"") }
        self = Quantity(trimmed)
    }

    public init(json: JSONValue) throws(ModelDecodingError) {
        switch json {
        case .string(let s):
            // apimachinery trims surrounding spaces when it reads JSON.
            let trimmed = Quantity.trimmingSpaces(s)
            guard ParsedQuantity(trimmed) != nil else { throw .invalidValue("invalid quantity \"\(s)\"") }
            string = trimmed
        case .int(let i):
            string = String(i)
        case .double:
            let text = json.jsonString
            guard ParsedQuantity(text) != nil else { throw .invalidValue("invalid quantity \(text)") }
            string = text
        default:
            throw .typeMismatch(expected: "quantity (string or number)", found: json)
        }
    }

    public var json: JSONValue { .string(string) }

    private static func trimmingSpaces(_ s: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = s.firstIndex(where: { !isSpace($0) }), let last = s.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(s[first...last])
    }
}
