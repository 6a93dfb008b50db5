public import SkiffJSON

/// A value that is either an integer or a string (`port: 8080` or `port: http`, `maxSurge: 25%`),
/// as apimachinery's `intstr.IntOrString`.
public enum IntOrString: Sendable, Hashable, JSONValueConvertible, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral, CustomStringConvertible
{
    case int(Int32)
    case string(String)

    public init(integerLiteral value: Int32) { self = .int(value) }
    public init(stringLiteral value: String) { self = .string(value) }

    public init(json: JSONValue) throws(ModelDecodingError) {
        switch json {
        case .string(let s): self = .string(s)
        case .int, .double:
            guard let i = json.intValue else { throw .typeMismatch(expected: "integer or string", found: json) }
            guard let narrow = Int32(exactly: i) else { throw .invalidValue("\(i) does not fit in a 32-bit integer") }
            self = .int(narrow)
        default:
            throw .typeMismatch(expected: "integer or string", found: json)
        }
    }

    public var json: JSONValue {
        switch self {
        case .int(let i): .int(Int64(i))
        case .string(let s): .string(s)
        }
    }

    /// The integer, or the string, as text.
    public var description: String {
        switch self {
        case .int(let i): String(i)
        case .string(let s): s
        }
    }

    /// An integer as is, or a percentage (`25%`) of `total`, rounded up or down: apimachinery's
    /// `GetScaledValueFromIntOrPercent`, which rollouts use for `maxSurge` and `maxUnavailable`.
    /// `nil` for a string that is not a whole-number percentage.
    public func scaledValue(total: Int, roundUp: Bool) -> Int? {
        switch self {
        case .int(let i):
            return Int(i)
        case .string(let s):
            guard s.hasSuffix("%"), let percent = Int(s.dropLast()) else { return nil }
            let product = percent * total
            if roundUp {
                return product >= 0 ? (product + 99) / 100 : product / 100
            }
            return product >= 0 ? product / 100 : (product - 99) / 100
        }
    }
}
