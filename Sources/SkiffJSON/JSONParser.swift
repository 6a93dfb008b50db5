/// Why a JSON text could not be parsed, with Go's wording ("invalid character 'x' looking for
/// beginning of value") so API errors read as Kubernetes' do.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in the words of Go's `encoding/json`.
    public let message: String
    /// Byte offset of the offending character.
    public let offset: Int
    /// 1-based line and column of the offending character.
    public let line: Int
    public let column: Int

    public var description: String { message }
}

extension JSONValue {
    /// Parses one JSON value from UTF-8 bytes (surrounding whitespace allowed, nothing else after it).
    public init(parsing bytes: some Collection<UInt8>) throws(JSONParseError) {
        let result: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            var parser = JSONParser(buffer)
            return Result { () throws(JSONParseError) in try parser.parseDocument() }
        }
        if let result {
            self = try result.get()
        } else {
            let array = Array(bytes)
            self = try array.withUnsafeBufferPointer { buffer throws(JSONParseError) in
                var parser = JSONParser(buffer)
                return try parser.parseDocument()
            }
        }
    }

    /// Parses one JSON value and names the fields that appear twice in one object, as Go's strict decoder
    /// names them (`data.a`, `spec.containers[0].name`); the last value of a duplicate wins, as in Go.
    public static func parsingReportingDuplicates(_ bytes: [UInt8]) throws(JSONParseError) -> (JSONValue, duplicates: [String]) {
        try bytes.withUnsafeBufferPointer { buffer throws(JSONParseError) in
            var parser = JSONParser(buffer)
            let value = try parser.parseDocument()
            guard parser.sawDuplicate else { return (value, []) }
            // Rare: parse again, keeping the path, to name them.
            var tracker = JSONParser(buffer)
            tracker.path = []
            _ = try tracker.parseDocument()
            return (value, tracker.duplicates)
        }
    }

    /// Parses one JSON value from a string.
    public init(parsing text: String) throws(JSONParseError) {
        var text = text
        let result = text.withUTF8 { buffer in
            var parser = JSONParser(buffer)
            return Result { () throws(JSONParseError) in try parser.parseDocument() }
        }
        self = try result.get()
    }
}

/// A recursive-descent parser over a contiguous UTF-8 buffer.
struct JSONParser {
    /// Nesting deeper than this is refused (Go refuses at 10,000; we stop earlier to keep stacks small).
    static let maximumDepth = 512

    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var depth = 0
    /// A key was set twice in one object.
    var sawDuplicate = false
    /// The path of the value being parsed, when duplicates are being named (nil otherwise: no cost).
    var path: [String]?
    var duplicates: [String] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw error("unexpected end of JSON input") }
        let value = try parseValue()
        skipWhitespace()
        if index < bytes.count {
            throw error("invalid character \(quoted(bytes[index])) after top-level value")
        }
        return value
    }

    // MARK: values

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of JSON input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case let c: throw error("invalid character \(quoted(c)) looking for beginning of value")
        }
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        index += 1
        var object = JSONObject()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of JSON input") }
            guard bytes[index] == UInt8(ascii: "\"") else {
                throw error("invalid character \(quoted(bytes[index])) looking for beginning of object key string")
            }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of JSON input") }
            guard bytes[index] == UInt8(ascii: ":") else {
                throw error("invalid character \(quoted(bytes[index])) after object key")
            }
            index += 1
            skipWhitespace()
            // Duplicate keys: the last one wins, as in Go.
            path?.append(key)
            if object.updateValue(try parseValue(), forKey: key) != nil {
                sawDuplicate = true
                if let path { duplicates.append(Self.describe(path)) }
            }
            path?.removeLast()
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of JSON input") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return .object(object)
            case let c: throw error("invalid character \(quoted(c)) after object key:value pair")
            }
        }
    }

    /// Go's strict decoder's path: keys joined by dots, indexes in brackets.
    static func describe(_ path: [String]) -> String {
        var text = ""
        for element in path {
            if element.hasPrefix("[") || text.isEmpty { text += element } else { text += "." + element }
        }
        return text
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        index += 1
        var array: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(array)
        }
        while true {
            skipWhitespace()
            path?.append("[\(array.count)]")
            array.append(try parseValue())
            path?.removeLast()
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of JSON input") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return .array(array)
            case let c: throw error("invalid character \(quoted(c)) after array element")
            }
        }
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > Self.maximumDepth { throw error("exceeded max depth") }
    }

    // MARK: strings

    mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let c = bytes[index]
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw error("invalid character \(quoted(c)) in string literal") }
            index += 1
        }
        guard index < bytes.count else { throw error("unexpected end of JSON input") }
        var scalars: [UInt8] = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let c = bytes[index]
            switch c {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: scalars, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw error("unexpected end of JSON input") }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): scalars.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): scalars.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "/"): scalars.append(UInt8(ascii: "/"))
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if (0xD800..<0xDC00).contains(code) {
                        // A high surrogate must be followed by a low one; otherwise it is replaced, as Go does.
                        if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                            let save = index
                            index += 2
                            let low = try parseHex4()
                            if (0xDC00..<0xE000).contains(low) {
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                index = save
                                code = 0xFFFD
                            }
                        } else {
                            code = 0xFFFD
                        }
                    } else if (0xDC00..<0xE000).contains(code) {
                        code = 0xFFFD
                    }
                    appendUTF8(Unicode.Scalar(code) ?? "\u{FFFD}", to: &scalars)
                default:
                    throw error("invalid character \(quoted(e)) in string escape code")
                }
            default:
                if c < 0x20 { throw error("invalid character \(quoted(c)) in string literal") }
                scalars.append(c)
                index += 1
            }
        }
        throw error("unexpected end of JSON input")
    }

    func appendUTF8(_ scalar: Unicode.Scalar, to bytes: inout [UInt8]) {
        let v = scalar.value
        switch v {
        case 0..<0x80: bytes.append(UInt8(v))
        case 0x80..<0x800:
            bytes.append(UInt8(0xC0 | (v >> 6)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            bytes.append(UInt8(0xE0 | (v >> 12)))
            bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        default:
            bytes.append(UInt8(0xF0 | (v >> 18)))
            bytes.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw error("unexpected end of JSON input") }
            let c = bytes[index]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid character \(quoted(c)) in \\u hexadecimal character escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    // MARK: numbers and literals

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        var isInteger = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw error("unexpected end of JSON input") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if isDigit(bytes[index]) {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        } else {
            throw error("invalid character \(quoted(bytes[index])) in numeric literal")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < bytes.count else { throw error("unexpected end of JSON input") }
            guard isDigit(bytes[index]) else {
                throw error("invalid character \(quoted(bytes[index])) after decimal point in numeric literal")
            }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count else { throw error("unexpected end of JSON input") }
            guard isDigit(bytes[index]) else {
                throw error("invalid character \(quoted(bytes[index])) in exponent of numeric literal")
            }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
        if isInteger, slice.count <= 19 || (slice.count == 20 && slice[0] == UInt8(ascii: "-")) {
            var value: Int64 = 0
            var negative = false
            var overflow = false
            for c in slice {
                if c == UInt8(ascii: "-") { negative = true; continue }
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.subtractingReportingOverflow(Int64(c - UInt8(ascii: "0")))
                value = a
                overflow = overflow || o1 || o2
            }
            if !overflow {
                if !negative {
                    let (p, o) = (0 as Int64).subtractingReportingOverflow(value)
                    if !o { return .int(p) }
                } else {
                    return .int(value)
                }
            }
        }
        let text = String(decoding: slice, as: UTF8.self)
        guard let d = Double(text) else { throw error("invalid number \(text)") }
        return .double(d)
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for i in 0..<count {
            guard index + i < bytes.count else { throw error("unexpected end of JSON input") }
            if bytes[index + i] != expected[i] {
                index += i
                throw error("invalid character \(quoted(bytes[index])) in literal \(literal) (expecting \(quoted(expected[i])))")
            }
        }
        index += count
    }

    @inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    @inline(__always) mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    // MARK: errors

    func quoted(_ c: UInt8) -> String {
        switch c {
        case UInt8(ascii: "'"): return "'\\''"
        case UInt8(ascii: "\""): return "'\"'"
        case 0x20..<0x7F: return "'\(Character(Unicode.Scalar(c)))'"
        default:
            let hex = String(c, radix: 16, uppercase: false)
            return "'\\x\(hex.count == 1 ? "0" + hex : hex)'"
        }
    }

    func error(_ message: String) -> JSONParseError {
        var line = 1
        var column = 1
        var i = 0
        let end = min(index, bytes.count)
        while i < end {
            if bytes[i] == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
            i += 1
        }
        return JSONParseError(message: message, offset: index, line: line, column: column)
    }
}
