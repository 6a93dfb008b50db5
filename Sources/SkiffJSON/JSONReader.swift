/// A pull reader over JSON bytes: objects key by key, arrays element by element, scalars as Swift values,
/// without building a `JSONValue` tree. Typed models decode straight from it (`init(reader:)`), which is what
/// makes an informer of `core.v1.Pod` cheaper than one of `JSONValue`. A reader is valid only inside
/// `JSONReader.read(_:_:)`, which owns the bytes' lifetime.
public struct JSONReader {
    /// What the next value is.
    public enum Kind: Sendable, Equatable {
        case object, array, string, number, bool, null

        /// As Go and `JSONValue.typeName` name JSON types in errors.
        public var name: String {
            switch self {
            case .object: "object"
            case .array: "array"
            case .string: "string"
            case .number: "number"
            case .bool: "boolean"
            case .null: "null"
            }
        }
    }

    var parser: JSONParser

    init(_ bytes: UnsafeBufferPointer<UInt8>) { parser = JSONParser(bytes) }

    /// Runs `body` on a reader of `bytes`, then checks that nothing but whitespace follows the value it read.
    public static func read<T>(_ bytes: [UInt8], _ body: (inout JSONReader) throws -> T) throws -> T {
        try bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            let value = try body(&reader)
            reader.parser.skipWhitespace()
            if reader.parser.index < buffer.count {
                throw reader.parser.error("invalid character \(reader.parser.quoted(buffer[reader.parser.index])) after top-level value")
            }
            return value
        }
    }

    /// The kind of the next value (whitespace skipped).
    public mutating func peek() throws(JSONParseError) -> Kind {
        parser.skipWhitespace()
        guard parser.index < parser.bytes.count else { throw parser.error("unexpected end of JSON input") }
        switch parser.bytes[parser.index] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case let c: throw parser.error("invalid character \(parser.quoted(c)) looking for beginning of value")
        }
    }

    /// Reads a `null` if one is next.
    public mutating func readNull() throws(JSONParseError) -> Bool {
        guard try peek() == .null else { return false }
        try parser.expectLiteral("null")
        return true
    }

    /// Reads the string that is next (check with `peek()` first).
    public mutating func readString() throws(JSONParseError) -> String {
        parser.skipWhitespace()
        return try parser.parseString()
    }

    /// Reads the number that is next: `.int` when it is an integer that fits, else `.double`.
    public mutating func readNumber() throws(JSONParseError) -> JSONValue {
        parser.skipWhitespace()
        return try parser.parseNumber()
    }

    /// Reads the boolean that is next.
    public mutating func readBool() throws(JSONParseError) -> Bool {
        parser.skipWhitespace()
        if parser.index < parser.bytes.count, parser.bytes[parser.index] == UInt8(ascii: "t") {
            try parser.expectLiteral("true")
            return true
        }
        try parser.expectLiteral("false")
        return false
    }

    /// Reads the next value, whatever it is, as a `JSONValue`.
    public mutating func readValue() throws(JSONParseError) -> JSONValue {
        parser.skipWhitespace()
        return try parser.parseValue()
    }

    /// Steps over the next value without building it (still checked to be well-formed JSON).
    public mutating func skipValue() throws(JSONParseError) {
        switch try peek() {
        case .string: try skipString()
        case .number: _ = try parser.parseNumber()
        case .bool: _ = try readBool()
        case .null: try parser.expectLiteral("null")
        case .object:
            try beginObject()
            while try nextKey() != nil { try skipValue() }
        case .array:
            try beginArray()
            while try nextElement() { try skipValue() }
        }
    }

    /// The bytes of the next value, stepped over (a watch event's object, a list's item, kept for later).
    public mutating func readRawValue() throws(JSONParseError) -> [UInt8] {
        parser.skipWhitespace()
        let start = parser.index
        try skipValue()
        return Array(UnsafeBufferPointer(rebasing: parser.bytes[start..<parser.index]))
    }

    private mutating func skipString() throws(JSONParseError) {
        let start = parser.index
        parser.index += 1
        while parser.index < parser.bytes.count {
            let c = parser.bytes[parser.index]
            if c == UInt8(ascii: "\"") {
                parser.index += 1
                return
            }
            if c == UInt8(ascii: "\\") || c < 0x20 {
                // Escapes and control characters: the parser checks them (and tells what is wrong).
                parser.index = start
                _ = try parser.parseString()
                return
            }
            parser.index += 1
        }
        throw parser.error("unexpected end of JSON input")
    }

    // MARK: Objects and arrays

    /// Steps into the object that is next; then `nextKey()` until it returns nil.
    public mutating func beginObject() throws(JSONParseError) {
        parser.skipWhitespace()
        guard parser.index < parser.bytes.count else { throw parser.error("unexpected end of JSON input") }
        guard parser.bytes[parser.index] == UInt8(ascii: "{") else {
            throw parser.error("invalid character \(parser.quoted(parser.bytes[parser.index])) looking for beginning of object")
        }
        try parser.enter()
        parser.index += 1
        firstMember = true
    }

    /// Whether the member about to be read is the object's first (no comma before it).
    var firstMember = false
    var firstElement = false

    /// The next member's key, with the reader placed at its value (which must then be read or skipped);
    /// nil at the end of the object. The key is valid until the next read.
    public mutating func nextKey() throws(JSONParseError) -> JSONKey? {
        parser.skipWhitespace()
        guard parser.index < parser.bytes.count else { throw parser.error("unexpected end of JSON input") }
        if parser.bytes[parser.index] == UInt8(ascii: "}") {
            parser.index += 1
            parser.depth -= 1
            // The enclosing container now has a value before whatever comes next.
            firstMember = false
            firstElement = false
            return nil
        }
        if !firstMember {
            guard parser.bytes[parser.index] == UInt8(ascii: ",") else {
                throw parser.error("invalid character \(parser.quoted(parser.bytes[parser.index])) after object key:value pair")
            }
            parser.index += 1
            parser.skipWhitespace()
            guard parser.index < parser.bytes.count else { throw parser.error("unexpected end of JSON input") }
        }
        firstMember = false
        guard parser.bytes[parser.index] == UInt8(ascii: "\"") else {
            throw parser.error("invalid character \(parser.quoted(parser.bytes[parser.index])) looking for beginning of object key string")
        }
        // Keys without escapes (all of Kubernetes') are compared in place.
        let start = parser.index + 1
        var end = start
        while end < parser.bytes.count, parser.bytes[end] != UInt8(ascii: "\""), parser.bytes[end] != UInt8(ascii: "\\"),
              parser.bytes[end] >= 0x20 {
            end += 1
        }
        let key: JSONKey
        if end < parser.bytes.count, parser.bytes[end] == UInt8(ascii: "\"") {
            key = JSONKey(bytes: UnsafeBufferPointer(rebasing: parser.bytes[start..<end]))
            parser.index = end + 1
        } else {
            key = JSONKey(unescaped: try parser.parseString())
        }
        parser.skipWhitespace()
        guard parser.index < parser.bytes.count else { throw parser.error("unexpected end of JSON input") }
        guard parser.bytes[parser.index] == UInt8(ascii: ":") else {
            throw parser.error("invalid character \(parser.quoted(parser.bytes[parser.index])) after object key")
        }
        parser.index += 1
        return key
    }

    /// Steps into the array that is next; then `nextElement()` until it returns false.
    public mutating func beginArray() throws(JSONParseError) {
        parser.skipWhitespace()
        guard parser.index < parser.bytes.count else { throw parser.error("unexpected end of JSON input") }
        guard parser.bytes[parser.index] == UInt8(ascii: "[") else {
            throw parser.error("invalid character \(parser.quoted(parser.bytes[parser.index])) looking for beginning of array")
        }
        try parser.enter()
        parser.index += 1
        firstElement = true
    }

    /// Whether another element follows (the reader is then placed at it); false at the end of the array.
    public mutating func nextElement() throws(JSONParseError) -> Bool {
        parser.skipWhitespace()
        guard parser.index < parser.bytes.count else { throw parser.error("unexpected end of JSON input") }
        if parser.bytes[parser.index] == UInt8(ascii: "]") {
            parser.index += 1
            parser.depth -= 1
            firstMember = false
            firstElement = false
            return false
        }
        if !firstElement {
            guard parser.bytes[parser.index] == UInt8(ascii: ",") else {
                throw parser.error("invalid character \(parser.quoted(parser.bytes[parser.index])) after array element")
            }
            parser.index += 1
        }
        firstElement = false
        return true
    }
}

/// An object key as `JSONReader.nextKey()` found it: compared against literals without making a `String`.
public struct JSONKey {
    @usableFromInline let bytes: UnsafeBufferPointer<UInt8>
    @usableFromInline let unescaped: String?

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        unescaped = nil
    }

    init(unescaped: String) {
        bytes = UnsafeBufferPointer(start: nil, count: 0)
        self.unescaped = unescaped
    }

    /// The key as a `String`.
    public var string: String { unescaped ?? String(decoding: bytes, as: UTF8.self) }

    /// Whether the key is `literal`.
    @inlinable
    public static func == (key: JSONKey, literal: StaticString) -> Bool {
        key.equals(literal.utf8Start, literal.utf8CodeUnitCount)
    }

    @inlinable
    func equals(_ start: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        if let unescaped { return unescaped.utf8.elementsEqual(UnsafeBufferPointer(start: start, count: count)) }
        guard bytes.count == count else { return false }
        guard let base = bytes.baseAddress else { return count == 0 }
        for i in 0..<count where base[i] != start[i] { return false }
        return true
    }
}
