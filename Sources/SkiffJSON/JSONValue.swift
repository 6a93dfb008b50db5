/// A JSON document as a value: the generic representation the API server stores, patches and prunes.
///
/// Integers and floating-point numbers are kept apart (as Go's `encoding/json` does when it decodes
/// into `interface{}` with `UseNumber`), so `replicas: 3` round-trips as `3`, never `3.0`.
/// Object members keep their insertion order; equality ignores it.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

extension JSONValue: Hashable {
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b
        case let (.int(a), .double(b)), let (.double(b), .int(a)): return Double(a) == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)): return a == b
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .int(let i): hasher.combine(Double(i))
        case .double(let d): hasher.combine(d)
        case .string(let s): hasher.combine(s)
        case .array(let a): hasher.combine(a)
        case .object(let o): hasher.combine(o)
        }
    }
}

// MARK: - Accessors

extension JSONValue {
    /// The name of this value's JSON type, as used in error messages ("string", "object", …).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public var isNull: Bool { if case .null = self { return true } else { return false } }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }

    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }

    /// The integer value; a float with no fractional part also answers (JSON has one number type).
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d):
            guard d.rounded() == d, let i = Int64(exactly: d) else { return nil }
            return i
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }

    public var objectValue: JSONObject? { if case .object(let o) = self { return o } else { return nil } }

    /// Member `key` of an object; `nil` for a missing member or a value that is not an object.
    /// Setting on a value that is not an object turns it into one; setting `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get {
            guard case .object(let o) = self else { return nil }
            return o[key]
        }
        set {
            var o: JSONObject
            if case .object(let existing) = self { o = existing } else { o = JSONObject() }
            self = .null  // release the old storage so `o` is uniquely referenced
            o[key] = newValue
            self = .object(o)
        }
    }

    /// Element `index` of an array; `nil` when out of range or not an array.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let a) = self, a.indices.contains(index) else { return nil }
        return a[index]
    }

    /// The value at a path of object members, or `nil` when any step is missing.
    public func value(at path: some Sequence<String>) -> JSONValue? {
        var current = self
        for key in path {
            guard let next = current[key] else { return nil }
            current = next
        }
        return current
    }

    /// Sets the value at a path of object members, creating intermediate objects as needed;
    /// `nil` removes the last member (and creates nothing).
    public mutating func setValue(_ value: JSONValue?, at path: ArraySlice<String>) {
        guard let first = path.first else {
            self = value ?? .null
            return
        }
        if path.count == 1 {
            self[first] = value
            return
        }
        var o: JSONObject
        if case .object(let existing) = self { o = existing } else { o = JSONObject() }
        if value == nil, o[first]?.objectValue == nil { return }
        self = .null  // keep `o` uniquely referenced while it is mutated in place
        o.modifyValue(forKey: first, default: .object(JSONObject())) { child in
            if child.objectValue == nil { child = .object(JSONObject()) }
            child.setValue(value, at: path.dropFirst())
        }
        self = .object(o)
    }

    /// Sets the value at a path of object members, creating intermediate objects as needed.
    public mutating func setValue(_ value: JSONValue?, at path: [String]) {
        setValue(value, at: path[...])
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var o = JSONObject(minimumCapacity: elements.count)
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}

extension JSONValue: CustomStringConvertible {
    /// The compact JSON text of this value.
    public var description: String { jsonString }
}
