import SkiffAPI
/// Which styles `yaml.v3`'s emitter allows for a string in block context (`yaml_emitter_analyze_scalar`),
/// and whether a plain string would read back as something else (`resolve`).
struct GnosticYAMLScalarAnalysis {
    /// Holds a line break character (`\n`, `\r`, U+0085, U+2028, U+2029); such a key is not a simple key.
    private(set) var hasLineBreak = false
    /// May be written as a `|` block (when it has line breaks).
    private(set) var blockAllowed = true
    /// May be written without quotes.
    private(set) var plainAllowed = true
    /// May be written in single quotes.
    private(set) var singleQuotedAllowed = true

    init(_ text: String) {
        let scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty else { return }
        var indicators = false
        var leadingOrTrailingSpace = false
        var trailingSpace = false
        var tab = false
        var spaceThenBreak = false
        var breakThenSpace = false
        var special = false
        var previousSpace = false
        var previousBreak = false
        var precededByWhitespace = true
        if scalars.count >= 3,
            scalars.prefix(3).allSatisfy({ $0 == "-" }) || scalars.prefix(3).allSatisfy({ $0 == "." })
        {
            indicators = true
        }
        for (index, scalar) in scalars.enumerated() {
            let value = scalar.value
            let followedByWhitespace = index + 1 == scalars.count || Self.isBlank(scalars[index + 1].value)
            if index == 0 {
                switch scalar {
                case "#", ",", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`": indicators = true
                case "?", ":", "-": if followedByWhitespace { indicators = true }
                default: break
                }
            } else if (scalar == ":" && followedByWhitespace) || (scalar == "#" && precededByWhitespace) {
                indicators = true
            }
            if value == 0x09 {
                tab = true
            } else if !Self.isPrintable(value) {
                special = true
            }
            if value == 0x20 {
                if index == 0 || index == scalars.count - 1 { leadingOrTrailingSpace = true }
                if index == scalars.count - 1 { trailingSpace = true }
                if previousBreak { breakThenSpace = true }
                previousSpace = true
                previousBreak = false
            } else if Self.isBreak(value) {
                hasLineBreak = true
                if index == 0 || index == scalars.count - 1 { leadingOrTrailingSpace = true }
                if previousSpace { spaceThenBreak = true }
                previousSpace = false
                previousBreak = true
            } else {
                previousSpace = false
                previousBreak = false
            }
            precededByWhitespace = Self.isBlank(value) || Self.isBreak(value) || value == 0
        }
        if leadingOrTrailingSpace || hasLineBreak || indicators { plainAllowed = false }
        if breakThenSpace || spaceThenBreak || tab || special {
            plainAllowed = false
            singleQuotedAllowed = false
        }
        if trailingSpace || spaceThenBreak || special { blockAllowed = false }
    }

    /// `yaml.v3`'s printable set: LF, ASCII graphic and space, U+00A0–U+D7FF, U+E000–U+FFFD but not the BOM.
    static func isPrintable(_ value: UInt32) -> Bool {
        value == 0x0A || (0x20...0x7E).contains(value) || (0xA0...0xD7FF).contains(value)
            || ((0xE000...0xFFFD).contains(value) && value != 0xFEFF)
    }

    static func isBreak(_ value: UInt32) -> Bool {
        value == 0x0A || value == 0x0D || value == 0x85 || value == 0x2028 || value == 0x2029
    }

    private static func isBlank(_ value: UInt32) -> Bool { value == 0x20 || value == 0x09 }

    /// Whether `yaml.v3` would read `text`, unquoted, as null, a boolean, a number or a timestamp;
    /// gnostic then double-quotes it to keep it a string.
    /// (`<<`, the merge key, is not among them: `resolve` only looks words up when they start with one of
    /// `yYnNtTfFoO~.+-` or a digit.)
    static func resolvesToNonString(_ text: String) -> Bool {
        if reservedWords.contains(text) { return true }
        guard let first = text.utf8.first else { return true }
        if first == UInt8(ascii: ".") {
            // Go's ParseFloat of ".5", ".5e3".
            return matchesFloat(Array(text.utf8))
        }
        guard first == UInt8(ascii: "+") || first == UInt8(ascii: "-") || isDigit(first) else { return false }
        let bytes = Array(text.utf8)
        if looksLikeTimestamp(bytes) { return true }
        let plain = bytes.filter { $0 != UInt8(ascii: "_") }
        return matchesInteger(plain) || matchesFloat(plain)
    }

    private static let reservedWords: Set<String> = [
        "true", "True", "TRUE", "false", "False", "FALSE", "~", "null", "Null", "NULL",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
    ]

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// `yyyy-m-d`, optionally followed by a time (`T`, `t` or a space), as `yaml.v3`'s `parseTimestamp` starts.
    private static func looksLikeTimestamp(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 8, bytes[0..<4].allSatisfy(isDigit), bytes[4] == UInt8(ascii: "-") else { return false }
        var index = 5
        for part in 0..<2 {
            let start = index
            while index < bytes.count, isDigit(bytes[index]), index - start < 2 { index += 1 }
            guard index > start else { return false }
            if part == 0 {
                guard index < bytes.count, bytes[index] == UInt8(ascii: "-") else { return false }
                index += 1
            }
        }
        if index == bytes.count { return true }
        let separator = bytes[index]
        return separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == UInt8(ascii: " ")
    }

    /// Go's `strconv.ParseInt(text, 0, 64)` syntax: sign, then `0x`/`0o`/`0b` digits, a legacy octal, or decimal.
    private static func matchesInteger(_ bytes: [UInt8]) -> Bool {
        var digits = bytes[...]
        if let sign = digits.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            digits = digits.dropFirst()
        }
        guard let first = digits.first else { return false }
        if first == UInt8(ascii: "0"), digits.count > 1 {
            let prefix = digits[digits.startIndex + 1] | 0x20
            let rest = digits.dropFirst(2)
            switch prefix {
            case UInt8(ascii: "x"):
                return !rest.isEmpty && rest.allSatisfy { isDigit($0) || (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x66) }
            case UInt8(ascii: "o"): return !rest.isEmpty && rest.allSatisfy { $0 >= 0x30 && $0 <= 0x37 }
            case UInt8(ascii: "b"): return !rest.isEmpty && rest.allSatisfy { $0 == 0x30 || $0 == 0x31 }
            default: return digits.dropFirst().allSatisfy { $0 >= 0x30 && $0 <= 0x37 }
            }
        }
        return digits.allSatisfy(isDigit)
    }

    /// `yaml.v3`'s float pattern `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
    private static func matchesFloat(_ bytes: [UInt8]) -> Bool {
        var index = 0
        func digitRun() -> Int {
            let start = index
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            return index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digitRun() > 0 else { return false }
        } else {
            guard digitRun() > 0 else { return false }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                _ = digitRun()
            }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard digitRun() > 0 else { return false }
        }
        return index == bytes.count
    }
}
