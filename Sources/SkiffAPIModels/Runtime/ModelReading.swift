public import SkiffJSON

// Decoding straight from JSON bytes (`init(reader:)`): what generated models and the scalars, arrays and maps
// they hold do instead of building a `JSONValue` first. Same results and errors as `init(json:)`.

extension JSONValueConvertible {
    /// Reads the value through a `JSONValue` (types without a direct reader: quantities, times, unions).
    public init(reader: inout JSONReader) throws { try self.init(json: try reader.readValue()) }

    /// Decodes one document from its JSON bytes, without an intermediate `JSONValue`.
    public init(jsonBytes bytes: [UInt8]) throws {
        self = try JSONReader.read(bytes) { reader in try Self(reader: &reader) }
    }
}

extension JSONReader {
    /// An object member's value, nil for null; a decoding error names the member. Inlined so that a large
    /// model is built in place rather than copied out of an optional.
    @inline(__always)
    public mutating func member<T: JSONValueConvertible>(_ name: String) throws -> T? {
        do {
            if try readNull() { return nil }
            return try T(reader: &self)
        } catch let error as ModelDecodingError {
            throw error.prefixed(with: .field(name))
        }
    }

    /// The number that is next, or a type mismatch naming what was `expected`.
    mutating func number(expected: String) throws -> JSONValue {
        let kind = try peek()
        guard kind == .number else { throw ModelDecodingError.typeMismatch(expected: expected, found: kind) }
        return try readNumber()
    }

    /// Throws unless the next value is an object (a model's own check, as `init(json:)` makes it).
    public mutating func expectObject() throws {
        let kind = try peek()
        guard kind == .object else { throw ModelDecodingError.typeMismatch(expected: "object", found: kind) }
    }
}

/// A required member as read: its value, else the type's zero value, else `missingField` naming it.
public func requiredMember<T: JSONValueConvertible>(_ value: T?, _ name: String) throws -> T {
    if let value { return value }
    guard let zero = T.valueForAbsentField else { throw ModelDecodingError.missingField.prefixed(with: .field(name)) }
    return zero
}

extension String {
    public init(reader: inout JSONReader) throws {
        let kind = try reader.peek()
        guard kind == .string else { throw ModelDecodingError.typeMismatch(expected: "string", found: kind) }
        self = try reader.readString()
    }
}

extension Bool {
    public init(reader: inout JSONReader) throws {
        let kind = try reader.peek()
        guard kind == .bool else { throw ModelDecodingError.typeMismatch(expected: "boolean", found: kind) }
        self = try reader.readBool()
    }
}

extension Int32 {
    public init(reader: inout JSONReader) throws { try self.init(json: try reader.number(expected: "integer")) }
}

extension Int64 {
    public init(reader: inout JSONReader) throws { try self.init(json: try reader.number(expected: "integer")) }
}

extension Double {
    public init(reader: inout JSONReader) throws { try self.init(json: try reader.number(expected: "number")) }
}

extension JSONValue {
    public init(reader: inout JSONReader) throws { self = try reader.readValue() }
}

extension Array where Element: JSONValueConvertible {
    public init(reader: inout JSONReader) throws {
        let kind = try reader.peek()
        guard kind == .array else { throw ModelDecodingError.typeMismatch(expected: "array", found: kind) }
        try reader.beginArray()
        var elements: [Element] = []
        var index = 0
        while try reader.nextElement() {
            do {
                elements.append(try Element(reader: &reader))
            } catch let error as ModelDecodingError {
                throw error.prefixed(with: .index(index))
            }
            index += 1
        }
        self = elements
    }
}

extension Dictionary where Key == String, Value: JSONValueConvertible {
    public init(reader: inout JSONReader) throws {
        let kind = try reader.peek()
        guard kind == .object else { throw ModelDecodingError.typeMismatch(expected: "object", found: kind) }
        try reader.beginObject()
        var result: [String: Value] = [:]
        while let key = try reader.nextKey() {
            let name = key.string
            do {
                result[name] = try Value(reader: &reader)
            } catch let error as ModelDecodingError {
                throw error.prefixed(with: .key(name))
            }
        }
        self = result
    }
}
