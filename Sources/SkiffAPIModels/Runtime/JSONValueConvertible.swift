public import SkiffJSON

/// A value that reads itself from a `JSONValue` and writes itself back: every generated model, and the
/// scalars, arrays and string-keyed maps they are made of.
public protocol JSONValueConvertible: Sendable {
    /// Reads the value; an object ignores members it does not know.
    init(json: JSONValue) throws(ModelDecodingError)

    /// Reads the value straight from JSON bytes, with the same results and errors as `init(json:)` (a
    /// `JSONParseError` for bytes that are not JSON).
    init(reader: inout JSONReader) throws

    /// The value as JSON; an object omits optional members that are `nil`.
    var json: JSONValue { get }

    /// What a required field holds when the document leaves it out or sets it to null, as Go's decoder
    /// leaves a zero value there; `nil` (the default) makes that a `missingField` error instead.
    static var valueForAbsentField: Self? { get }
}

extension JSONValueConvertible {
    public static var valueForAbsentField: Self? { nil }
}

extension String: JSONValueConvertible {
    public init(json: JSONValue) throws(ModelDecodingError) {
        guard case .string(let s) = json else { throw .typeMismatch(expected: "string", found: json) }
        self = s
    }

    public var json: JSONValue { .string(self) }
    public static var valueForAbsentField: String? { "" }
}

extension Bool: JSONValueConvertible {
    public init(json: JSONValue) throws(ModelDecodingError) {
        guard case .bool(let b) = json else { throw .typeMismatch(expected: "boolean", found: json) }
        self = b
    }

    public var json: JSONValue { .bool(self) }
    public static var valueForAbsentField: Bool? { false }
}

extension Int32: JSONValueConvertible {
    /// Reads an integer (a float with no fractional part counts, JSON having one number type).
    public init(json: JSONValue) throws(ModelDecodingError) {
        guard let i = json.intValue else { throw .typeMismatch(expected: "integer", found: json) }
        guard let narrow = Int32(exactly: i) else { throw .invalidValue("\(i) does not fit in a 32-bit integer") }
        self = narrow
    }

    public var json: JSONValue { .int(Int64(self)) }
    public static var valueForAbsentField: Int32? { 0 }
}

extension Int64: JSONValueConvertible {
    /// Reads an integer (a float with no fractional part counts, JSON having one number type).
    public init(json: JSONValue) throws(ModelDecodingError) {
        guard let i = json.intValue else { throw .typeMismatch(expected: "integer", found: json) }
        self = i
    }

    public var json: JSONValue { .int(self) }
    public static var valueForAbsentField: Int64? { 0 }
}

extension Double: JSONValueConvertible {
    public init(json: JSONValue) throws(ModelDecodingError) {
        guard let d = json.doubleValue else { throw .typeMismatch(expected: "number", found: json) }
        self = d
    }

    public var json: JSONValue { .double(self) }
    public static var valueForAbsentField: Double? { 0 }
}

/// Arbitrary JSON (`RawExtension`, `FieldsV1`, a CRD schema's `default`) is kept as it is.
extension JSONValue: JSONValueConvertible {
    public init(json: JSONValue) throws(ModelDecodingError) { self = json }

    /// The value itself.
    public var json: JSONValue { self }
    public static var valueForAbsentField: JSONValue? { .null }
}

extension Array: JSONValueConvertible where Element: JSONValueConvertible {
    public init(json: JSONValue) throws(ModelDecodingError) {
        guard case .array(let values) = json else { throw .typeMismatch(expected: "array", found: json) }
        var elements: [Element] = []
        elements.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            do {
                elements.append(try Element(json: value))
            } catch {
                throw error.prefixed(with: .index(index))
            }
        }
        self = elements
    }

    public var json: JSONValue {
        var values: [JSONValue] = []
        values.reserveCapacity(count)
        for element in self { values.append(element.json) }
        return .array(values)
    }

    /// Go writes a nil slice as null and reads null as one; both become an empty array.
    public static var valueForAbsentField: [Element]? { [] }
}

extension Dictionary: JSONValueConvertible where Key == String, Value: JSONValueConvertible {
    public init(json: JSONValue) throws(ModelDecodingError) {
        guard case .object(let members) = json else { throw .typeMismatch(expected: "object", found: json) }
        var result: [String: Value] = [:]
        result.reserveCapacity(members.count)
        for (key, value) in members {
            do {
                result[key] = try Value(json: value)
            } catch {
                throw error.prefixed(with: .key(key))
            }
        }
        self = result
    }

    /// Members sorted by key, as Go's `encoding/json` writes maps.
    public var json: JSONValue {
        var members = JSONObject(minimumCapacity: count)
        for (key, value) in sorted(by: { $0.key < $1.key }) { members[key] = value.json }
        return .object(members)
    }

    public static var valueForAbsentField: [String: Value]? { [:] }
}
