import SkiffAPI
/// Renders a JSON value as the YAML text gnostic stores in `Any.yaml`.
///
/// gnostic parses the document with `yaml.v3`, clears every node's style and marshals the value's node
/// again (`compiler.Marshal`), so the text is `yaml.v3`'s default output, reproduced here: block collections
/// indented by four (a collection inside a sequence item by two), `{}` and `[]` for empty ones, plain scalars
/// where YAML allows them, double quotes where a string would otherwise read as another type (`""`, `"true"`,
/// `"1"`), single quotes where plain is not allowed, `|` blocks for multi-line strings, no folding of long
/// lines (`yaml.v3` sets no width). `x-kubernetes-patch-strategy: merge` becomes `merge\n`.
///
/// One difference remains: a number is written as Swift spells the parsed value (`1000.0`), not as the
/// document spelled it (`1e3`); both read back as the same number.
struct GnosticYAML {
    private static let bestIndent = 4

    private var out: [UInt8] = []
    /// Characters (not bytes) since the last line break.
    private var column = 0
    /// The last character written is white space (a line start counts).
    private var whitespace = true
    /// Only indentation has been written on the current line.
    private var indention = true

    /// `value` as one YAML document, ending with a line break.
    static func render(_ value: JSONValue) -> [UInt8] {
        var yaml = GnosticYAML()
        yaml.emit(value, parentIndent: -1, inSequenceItem: false)
        // Document end (`yaml_emitter_emit_document_end`): finish the last line unless a block scalar already did.
        if !yaml.indention || yaml.column > 0 || !yaml.whitespace { yaml.out.append(UInt8(ascii: "\n")) }
        return yaml.out
    }

    /// A double as text (JSON keeps no spelling of its own once parsed; Swift's shortest form reads back exactly).
    static func floatText(_ value: Double) -> String {
        "\(value)"
    }

    // MARK: Nodes

    private mutating func emit(_ value: JSONValue, parentIndent: Int, inSequenceItem: Bool) {
        switch value {
        case .object(let object) where !object.isEmpty:
            let indent = Self.increasedIndent(parentIndent, inSequenceItem: inSequenceItem, isScalar: false)
            for position in 0..<object.count {
                let key = object.storage.keys[position]
                let member = object.storage.values[position]
                writeIndent(indent)
                if Self.isSimpleKey(key) {
                    writeString(key, scalarIndent: nil)
                    writeIndicator(":", needsWhitespace: false, isWhitespace: false, isIndention: false)
                } else {
                    // `yaml_emitter_emit_block_mapping_key` without a simple key: `? key` and `: value` lines.
                    writeIndicator("?", needsWhitespace: true, isWhitespace: false, isIndention: true)
                    let keyIndent = Self.increasedIndent(indent, inSequenceItem: false, isScalar: true)
                    writeString(key, scalarIndent: keyIndent)
                    writeIndent(indent)
                    writeIndicator(":", needsWhitespace: true, isWhitespace: false, isIndention: true)
                }
                emit(member, parentIndent: indent, inSequenceItem: false)
            }
        case .array(let items) where !items.isEmpty:
            let indent = Self.increasedIndent(parentIndent, inSequenceItem: inSequenceItem, isScalar: false)
            for item in items {
                writeIndent(indent)
                writeIndicator("-", needsWhitespace: true, isWhitespace: false, isIndention: true)
                emit(item, parentIndent: indent, inSequenceItem: true)
            }
        case .object:
            writeIndicator("{", needsWhitespace: true, isWhitespace: true, isIndention: false)
            writeIndicator("}", needsWhitespace: false, isWhitespace: false, isIndention: false)
        case .array:
            writeIndicator("[", needsWhitespace: true, isWhitespace: true, isIndention: false)
            writeIndicator("]", needsWhitespace: false, isWhitespace: false, isIndention: false)
        case .string(let text):
            let indent = Self.increasedIndent(parentIndent, inSequenceItem: inSequenceItem, isScalar: true)
            writeString(text, scalarIndent: indent)
        case .int(let integer):
            writePlain(String(integer))
        case .double(let double):
            writePlain(Self.floatText(double))
        case .bool(let flag):
            writePlain(flag ? "true" : "false")
        case .null:
            writePlain("null")
        }
    }

    /// `yaml.v3`'s `yaml_emitter_increase_indent` (best indent 4): a node directly in a sequence item sits just
    /// after its `- `; any other aligns to the next multiple of four. At the root a block collection starts
    /// at column 0, a scalar's continuation lines at 4.
    private static func increasedIndent(_ parentIndent: Int, inSequenceItem: Bool, isScalar: Bool) -> Int {
        if parentIndent < 0 { return isScalar ? bestIndent : 0 }
        return inSequenceItem ? parentIndent + 2 : bestIndent * ((parentIndent + bestIndent) / bestIndent)
    }

    /// `yaml_emitter_check_simple_key`: one line, at most 128 bytes.
    private static func isSimpleKey(_ key: String) -> Bool {
        if isPlainWord(key) { return key.utf8.count <= 128 }
        return key.utf8.count <= 128 && !GnosticYAMLScalarAnalysis(key).hasLineBreak
    }

    // MARK: Writing

    private mutating func put(_ byte: UInt8) {
        out.append(byte)
        column += 1
    }

    private mutating func put(_ scalar: Unicode.Scalar) {
        if scalar.isASCII {
            out.append(UInt8(scalar.value))
        } else {
            out.append(contentsOf: String(scalar).utf8)
        }
        column += 1
    }

    private mutating func putLineBreak() {
        out.append(UInt8(ascii: "\n"))
        column = 0
        indention = true
    }

    private mutating func writeIndent(_ indent: Int) {
        let target = max(indent, 0)
        if !indention || column > target || (column == target && !whitespace) { putLineBreak() }
        while column < target { put(UInt8(ascii: " ")) }
        whitespace = true
    }

    private mutating func writeIndicator(
        _ indicator: String, needsWhitespace: Bool, isWhitespace: Bool, isIndention: Bool
    ) {
        if needsWhitespace && !whitespace { put(UInt8(ascii: " ")) }
        for byte in indicator.utf8 { put(byte) }
        whitespace = isWhitespace
        indention = indention && isIndention
    }

    /// A string in the style `yaml.v3` picks. `scalarIndent` is where a block's lines (or the lines after a
    /// Unicode line separator) start; `nil` for a mapping key, which is never written as a block.
    private mutating func writeString(_ text: String, scalarIndent: Int?) {
        if Self.isPlainWord(text) {
            writePlain(text)
            return
        }
        let analysis = GnosticYAMLScalarAnalysis(text)
        if text.utf8.contains(UInt8(ascii: "\n")) {
            // The encoder asks for a literal block; the emitter falls back to double quotes where one cannot stand.
            if let scalarIndent, analysis.blockAllowed {
                writeLiteral(text, indent: scalarIndent)
            } else {
                writeDoubleQuoted(text)
            }
        } else if GnosticYAMLScalarAnalysis.resolvesToNonString(text) {
            writeDoubleQuoted(text)
        } else if analysis.plainAllowed {
            writePlain(text)
        } else if analysis.singleQuotedAllowed {
            writeSingleQuoted(text, indent: scalarIndent ?? 0)
        } else {
            writeDoubleQuoted(text)
        }
    }

    /// Whether `text` is a word such as `merge`, `apps`, `io.k8s.api.core.v1.Pod` or `retainKeys,merge`: it starts
    /// with a letter other than those of `true`, `false`, `null` and holds only letters, digits and `._/,-`,
    /// so `yaml.v3` writes it plain. Most extension values are; they skip the full analysis.
    private static func isPlainWord(_ text: String) -> Bool {
        var bytes = text.utf8.makeIterator()
        guard let first = bytes.next() else { return false }
        switch first | 0x20 {
        case UInt8(ascii: "a")...UInt8(ascii: "z"):
            let lower = first | 0x20
            if lower == UInt8(ascii: "t") || lower == UInt8(ascii: "f") || lower == UInt8(ascii: "n") { return false }
        default: return false
        }
        while let byte = bytes.next() {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "/"),
                UInt8(ascii: ","), UInt8(ascii: "-"):
                continue
            default: return false
            }
        }
        return true
    }

    /// A plain scalar (never one with a line break: those are not allowed plain).
    private mutating func writePlain(_ text: String) {
        if !whitespace && !text.isEmpty { put(UInt8(ascii: " ")) }
        for scalar in text.unicodeScalars { put(scalar) }
        if !text.isEmpty { whitespace = false }
        indention = false
    }

    /// A single-quoted scalar; its only line breaks can be U+2028 and U+2029 (others force double quotes).
    private mutating func writeSingleQuoted(_ text: String, indent: Int) {
        writeIndicator("'", needsWhitespace: true, isWhitespace: false, isIndention: false)
        var breaks = false
        for scalar in text.unicodeScalars {
            if GnosticYAMLScalarAnalysis.isBreak(scalar.value) {
                writeBreak(scalar)
                breaks = true
            } else {
                if breaks { writeIndent(indent) }
                if scalar == "'" { put(UInt8(ascii: "'")) }
                put(scalar)
                indention = false
                breaks = false
            }
        }
        writeIndicator("'", needsWhitespace: false, isWhitespace: false, isIndention: false)
        whitespace = false
        indention = false
    }

    /// A line break character other than `\n` written as itself: the line starts again.
    private mutating func writeBreak(_ scalar: Unicode.Scalar) {
        put(scalar)
        column = 0
        indention = true
    }

    private mutating func writeDoubleQuoted(_ text: String) {
        writeIndicator("\"", needsWhitespace: true, isWhitespace: false, isIndention: false)
        // yaml.v3's `is_bom` looks at the first three bytes whatever the position it is asked about, so a
        // string that starts with U+FEFF has every character escaped.
        let escapesAll = text.unicodeScalars.first == "\u{FEFF}"
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if escapesAll || !GnosticYAMLScalarAnalysis.isPrintable(value) || GnosticYAMLScalarAnalysis.isBreak(value)
                || value == 0x22 || value == 0x5C
            {
                writeEscape(value)
            } else {
                put(scalar)
            }
        }
        writeIndicator("\"", needsWhitespace: false, isWhitespace: false, isIndention: false)
        whitespace = false
        indention = false
    }

    private mutating func writeEscape(_ value: UInt32) {
        put(UInt8(ascii: "\\"))
        let short: Character? =
            switch value {
            case 0x00: "0"
            case 0x07: "a"
            case 0x08: "b"
            case 0x09: "t"
            case 0x0A: "n"
            case 0x0B: "v"
            case 0x0C: "f"
            case 0x0D: "r"
            case 0x1B: "e"
            case 0x22: "\""
            case 0x5C: "\\"
            case 0x85: "N"
            case 0xA0: "_"
            case 0x2028: "L"
            case 0x2029: "P"
            default: nil
            }
        if let short, let ascii = short.asciiValue {
            put(ascii)
            return
        }
        let (letter, width): (UInt8, Int) =
            value <= 0xFF ? (UInt8(ascii: "x"), 2) : value <= 0xFFFF ? (UInt8(ascii: "u"), 4) : (UInt8(ascii: "U"), 8)
        put(letter)
        for shift in stride(from: (width - 1) * 4, through: 0, by: -4) {
            let digit = UInt8((value >> UInt32(shift)) & 0x0F)
            put(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "A") + digit - 10)
        }
    }

    /// A `|` block: chomping `-` without a final line break, `+` with more than one, an indentation digit
    /// when the text starts with a space or a break.
    private mutating func writeLiteral(_ text: String, indent: Int) {
        writeIndicator("|", needsWhitespace: true, isWhitespace: false, isIndention: false)
        let scalars = Array(text.unicodeScalars)
        if let first = scalars.first, first == " " || GnosticYAMLScalarAnalysis.isBreak(first.value) {
            writeIndicator(String(Self.bestIndent), needsWhitespace: false, isWhitespace: false, isIndention: false)
        }
        if let last = scalars.last {
            if !GnosticYAMLScalarAnalysis.isBreak(last.value) {
                writeIndicator("-", needsWhitespace: false, isWhitespace: false, isIndention: false)
            } else if scalars.count == 1 || GnosticYAMLScalarAnalysis.isBreak(scalars[scalars.count - 2].value) {
                writeIndicator("+", needsWhitespace: false, isWhitespace: false, isIndention: false)
            }
        }
        // No line break here: the first line's indentation, or the text's own leading break, starts the block.
        // (yaml.v3 3.0.1, which Kubernetes 1.27–1.32 build gnostic with; 3.0.4 adds one, so a leading
        // break survives a round trip.)
        whitespace = true
        var breaks = true
        for scalar in scalars {
            if GnosticYAMLScalarAnalysis.isBreak(scalar.value) {
                if scalar == "\n" { putLineBreak() } else { writeBreak(scalar) }
                breaks = true
            } else {
                if breaks { writeIndent(indent) }
                put(scalar)
                indention = false
                breaks = false
            }
        }
    }
}
