extension JSONValue {
    /// The compact UTF-8 JSON text of this value, escaped as Go's `encoding/json` escapes it
    /// (so `<`, `>` and `&` become `\u003c`, `\u003e`, `\u0026`, as the Kubernetes API server writes them).
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        serialize(into: &out)
        return out
    }

    /// Appends the compact JSON text of this value to `out`.
    public func serialize(into out: inout [UInt8]) {
        JSONWriter.write(self, into: &out)
    }

    /// The indented JSON text of this value (two spaces, as `kubectl get -o json` prints).
    public func prettySerialized(indent: Int = 2) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.writePretty(self, into: &out, indent: indent, level: 0)
        out.append(0x0A)
        return out
    }

    /// The compact JSON text of this value as a string.
    public var jsonString: String { String(decoding: serialized(), as: UTF8.self) }
}

/// Writes JSON text. Stateless; all functions append to a byte array.
enum JSONWriter {
    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: appendLiteral("null", &out)
        case .bool(let b): appendLiteral(b ? "true" : "false", &out)
        case .int(let i): writeInt(i, into: &out)
        case .double(let d): writeDouble(d, into: &out)
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            var first = true
            for element in a {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (k, v) in o.storage {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(k, into: &out)
                out.append(UInt8(ascii: ":"))
                write(v, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writePretty(_ value: JSONValue, into out: inout [UInt8], indent: Int, level: Int) {
        func newline(_ level: Int) {
            out.append(0x0A)
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
        }
        switch value {
        case .array(let a) where !a.isEmpty:
            out.append(UInt8(ascii: "["))
            for (i, element) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1)
                writePretty(element, into: &out, indent: indent, level: level + 1)
            }
            newline(level)
            out.append(UInt8(ascii: "]"))
        case .object(let o) where !o.isEmpty:
            out.append(UInt8(ascii: "{"))
            var first = true
            for (k, v) in o.storage {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                newline(level + 1)
                writeString(k, into: &out)
                out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
                writePretty(v, into: &out, indent: indent, level: level + 1)
            }
            newline(level)
            out.append(UInt8(ascii: "}"))
        default:
            write(value, into: &out)
        }
    }

    @inline(__always)
    static func appendLiteral(_ s: StaticString, _ out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    static func writeInt(_ value: Int64, into out: inout [UInt8]) {
        if value == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var magnitude = value.magnitude
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            if value < 0 { out.append(UInt8(ascii: "-")) }
            while count > 0 {
                count -= 1
                out.append(buffer[count])
            }
        }
    }

    /// Formats as Go does for float64: shortest representation, exponent form only below 1e-6 or from 1e21.
    static func writeDouble(_ value: Double, into out: inout [UInt8]) {
        guard value.isFinite else {
            // JSON has no NaN or infinity; Go refuses to encode them. Write null rather than invalid JSON.
            appendLiteral("null", &out)
            return
        }
        let magnitude = abs(value)
        if value == value.rounded(), magnitude < 1e18 {
            writeInt(Int64(value), into: &out)
            return
        }
        var text = "\(value)"  // shortest round-trip form, e.g. "0.5", "1e-07", "1.5e+21"
        if magnitude < 1e-6 || magnitude >= 1e21 {
            if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
                var mantissa = String(text[..<e])
                var exponent = String(text[text.index(after: e)...])
                if mantissa.hasSuffix(".0") { mantissa.removeLast(2) }
                var sign = "+"
                if exponent.hasPrefix("-") { sign = "-"; exponent.removeFirst() } else if exponent.hasPrefix("+") { exponent.removeFirst() }
                while exponent.count > 1, exponent.hasPrefix("0") { exponent.removeFirst() }
                if sign == "+", exponent.count < 2 { exponent = "0" + exponent }  // Go: "e+21", but "e-7"
                text = mantissa + "e" + sign + exponent
            }
        } else if text.contains("e") {
            // Swift chose exponent form in Go's plain range: expand it.
            text = plainDecimal(value)
        }
        out.append(contentsOf: text.utf8)
    }

    static func plainDecimal(_ value: Double) -> String {
        let text = "\(value)"
        guard let e = text.firstIndex(of: "e"), let exponent = Int(text[text.index(after: e)...]) else { return text }
        var mantissa = String(text[..<e])
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = String(parts[0])
        let fracPart = parts.count > 1 ? String(parts[1]) : ""
        var digits = intPart + fracPart
        var point = intPart.count + exponent
        if point <= 0 {
            digits = String(repeating: "0", count: -point + 1) + digits
            point = 1
        } else if point > digits.count {
            digits += String(repeating: "0", count: point - digits.count)
        }
        var result = String(digits.prefix(point))
        var rest = String(digits.dropFirst(point))
        while rest.hasSuffix("0") { rest.removeLast() }
        if !rest.isEmpty { result += "." + rest }
        return (negative ? "-" : "") + result
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var runStart = 0
            var i = 0
            let n = utf8.count
            while i < n {
                let c = utf8[i]
                var escape: (UInt8, UInt8)? = nil  // (short escape letter, 0) or (0, byte to \u-escape)
                var extra = 0
                if c < 0x20 {
                    switch c {
                    case 0x0A: escape = (UInt8(ascii: "n"), 0)
                    case 0x0D: escape = (UInt8(ascii: "r"), 0)
                    case 0x09: escape = (UInt8(ascii: "t"), 0)
                    default: escape = (0, c)
                    }
                } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") {
                    escape = (c, 0)
                } else if c == UInt8(ascii: "<") || c == UInt8(ascii: ">") || c == UInt8(ascii: "&") {
                    escape = (0, c)
                } else if c == 0xE2, i + 2 < n, utf8[i + 1] == 0x80, utf8[i + 2] == 0xA8 || utf8[i + 2] == 0xA9 {
                    // U+2028 and U+2029 break JavaScript; Go escapes them.
                    extra = 2
                }
                if escape == nil && extra == 0 {
                    i += 1
                    continue
                }
                if runStart < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
                if extra > 0 {
                    out.append(contentsOf: Array("\\u202".utf8))
                    out.append(utf8[i + 2] == 0xA8 ? UInt8(ascii: "8") : UInt8(ascii: "9"))
                    i += 3
                } else if let (letter, byte) = escape {
                    out.append(UInt8(ascii: "\\"))
                    if letter != 0 {
                        out.append(letter)
                    } else {
                        out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                        out.append(hex[Int(byte >> 4)])
                        out.append(hex[Int(byte & 0xF)])
                    }
                    i += 1
                }
                runStart = i
            }
            if runStart < n { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<n])) }
        }
        out.append(UInt8(ascii: "\""))
    }
}
