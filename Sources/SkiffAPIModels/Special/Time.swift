#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import SkiffJSON

extension meta.v1 {
    /// A timestamp with second precision (`2024-05-01T12:00:00Z`), kept as the RFC 3339 text it was read as.
    /// The zero time (empty text) is written as JSON null, as apimachinery's `metav1.Time` writes it.
    public struct Time: Sendable, Hashable, JSONValueConvertible, ExpressibleByStringLiteral,
        CustomStringConvertible
    {
        /// The RFC 3339 text; empty for the zero time.
        public var rfc3339: String

        /// Wraps the text without checking it.
        public init(rfc3339: String) { self.rfc3339 = rfc3339 }

        public init(stringLiteral value: String) { rfc3339 = value }

        /// The instant in UTC, truncated to the second as apimachinery does.
        public init(_ date: Date) { rfc3339 = RFC3339.format(date, fractionDigits: 0) }

        /// The instant; `nil` for the zero time or malformed text.
        public var date: Date? { RFC3339.parse(rfc3339) }

        /// Whether this is the zero time (Go's `time.Time{}`).
        public var isZero: Bool { rfc3339.isEmpty }

        public var description: String { rfc3339 }

        /// Reads an RFC 3339 string, or null as the zero time; malformed text is an error.
        public init(json: JSONValue) throws(ModelDecodingError) {
            rfc3339 = try RFC3339.read(json)
        }

        public init(reader: inout JSONReader) throws { rfc3339 = try RFC3339.read(&reader) }

        public var json: JSONValue { isZero ? .null : .string(rfc3339) }

        public static var valueForAbsentField: Time? { Time(rfc3339: "") }
    }

    /// A timestamp with microsecond precision (`2024-05-01T12:00:00.123456Z`), as `Time` but finer.
    public struct MicroTime: Sendable, Hashable, JSONValueConvertible, ExpressibleByStringLiteral,
        CustomStringConvertible
    {
        /// The RFC 3339 text; empty for the zero time.
        public var rfc3339: String

        /// Wraps the text without checking it.
        public init(rfc3339: String) { self.rfc3339 = rfc3339 }

        public init(stringLiteral value: String) { rfc3339 = value }

        /// The instant in UTC with six fractional digits, as apimachinery writes it.
        public init(_ date: Date) { rfc3339 = RFC3339.format(date, fractionDigits: 6) }

        /// The instant; `nil` for the zero time or malformed text.
        public var date: Date? { RFC3339.parse(rfc3339) }

        /// Whether this is the zero time (Go's `time.Time{}`).
        public var isZero: Bool { rfc3339.isEmpty }

        public var description: String { rfc3339 }

        /// Reads an RFC 3339 string, or null as the zero time; malformed text is an error.
        public init(json: JSONValue) throws(ModelDecodingError) {
            rfc3339 = try RFC3339.read(json)
        }

        public init(reader: inout JSONReader) throws { rfc3339 = try RFC3339.read(&reader) }

        public var json: JSONValue { isZero ? .null : .string(rfc3339) }

        public static var valueForAbsentField: MicroTime? { MicroTime(rfc3339: "") }
    }
}
