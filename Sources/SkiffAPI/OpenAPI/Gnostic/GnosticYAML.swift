/// Renders a JSON value as the YAML text gnostic stores in `Any.yaml`.
///
/// gnostic parses the document with `yaml.v3`, clears every node's style and marshals the value's node
/// again (`compiler.Marshal`), so the text is `yaml.v3`'s default output: block collections indented by
/// four (a collection inside a sequence item by two), `{}` and `[]` for empty ones, plain scalars where
/// YAML allows them, double quotes where a string would otherwise read as another type (`""`, `"true"`,
/// `"1"`), single quotes where plain is not allowed. `x-kubernetes-patch-strategy: merge` becomes `merge\n`.
///
/// Two simplifications, both of which read back as the same value: a string with a line break is written
/// double-quoted rather than as a `|` block, and long scalars are not folded at 80 columns.
struct GnosticYAML {
    private var out: [UInt8] = []
    private var column = 0
    /// The last character written is white space (a line start counts).
    private var whitespace = true
    /// Only indentation has been written on the current line.
    private var indention = true

    /// `value` as one YAML document, ending with a line break.
    static func render(_ value: JSONValue) -> [UInt8] {
        var yaml = GnosticYAML()
        yaml.emit(value, parentIndent: -1, inSequenceItem: false)
        yaml.out.append(UInt8(ascii: "\n"))
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
            let indent = Self.blockIndent(parentIndent: parentIndent, inSequenceItem: inSequenceItem)
            for (key, member) in object {
                writeIndent(indent)
                writeString(key)
                writeIndicator(":", needsWhitespace: false, isWhitespace: false, isIndention: false)
                emit(member, parentIndent: indent, inSequenceItem: false)
            }
        case .array(let items) where !items.isEmpty:
            let indent = Self.blockIndent(parentIndent: parentIndent, inSequenceItem: inSequenceItem)
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
            writeString(text)
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

    /// `yaml.v3`'s indentation rule (`yaml_emitter_increase_indent`, best indent 4): a collection directly in a
    /// sequence item sits just after its `- `; any other aligns to the next multiple of four.
    private static func blockIndent(parentIndent: Int, inSequenceItem: Bool) -> Int {
        if parentIndent < 0 { return 0 }
        return inSequenceItem ? parentIndent + 2 : 4 * ((parentIndent + 4) / 4)
    }

    // MARK: Writing

    private mutating func put(_ byte: UInt8) {
        out.append(byte)
        column += 1
    }

    private mutating func put(_ text: String) {
        out.append(contentsOf: text.utf8)
        column += text.utf8.count
    }

    private mutating func writeIndent(_ indent: Int) {
        let target = max(indent, 0)
        if !indention || column > target || (column == target && !whitespace) {
            out.append(UInt8(ascii: "\n"))
            column = 0
            indention = true
        }
        while column < target { put(UInt8(ascii: " ")) }
        whitespace = true
    }

    private mutating func writeIndicator(_ indicator: String, needsWhitespace: Bool, isWhitespace: Bool, isIndention: Bool) {
        if needsWhitespace && !whitespace { put(UInt8(ascii: " ")) }
        put(indicator)
        whitespace = isWhitespace
        indention = indention && isIndention
    }

    private mutating func writePlain(_ text: String) {
        if !whitespace && !text.isEmpty { put(UInt8(ascii: " ")) }
        put(text)
        whitespace = false
        indention = false
    }

    private mutating func writeString(_ text: String) {
        let analysis = GnosticYAMLScalarAnalysis(text)
        if analysis.hasLineBreak || GnosticYAMLScalarAnalysis.resolvesToNonString(text) {
            writeDoubleQuoted(text)
        } else if analysis.plainAllowed {
            writePlain(text)
        } else if analysis.singleQuotedAllowed {
            writeSingleQuoted(text)
        } else {
            writeDoubleQuoted(text)
        }
    }

    private mutating func writeSingleQuoted(_ text: String) {
        writeIndicator("'", needsWhitespace: true, isWhitespace: false, isIndention: false)
        for byte in text.utf8 {
            if byte == UInt8(ascii: "'") { put(byte) }
            put(byte)
        }
        writeIndicator("'", needsWhitespace: false, isWhitespace: false, isIndention: false)
    }

    private mutating func writeDoubleQuoted(_ text: String) {
        writeIndicator("\"", needsWhitespace: true, isWhitespace: false, isIndention: false)
        for scalar in text.unicodeScalars {
            let value = scalar.value
            let mustEscape =
                !GnosticYAMLScalarAnalysis.isPrintable(value) || GnosticYAMLScalarAnalysis.isBreak(value)
                || value == 0x22 || value == 0x5C
            guard mustEscape else {
                out.append(contentsOf: String(scalar).utf8)
                column += 1
                continue
            }
            put(UInt8(ascii: "\\"))
            switch value {
            case 0x00: put("0")
            case 0x07: put("a")
            case 0x08: put("b")
            case 0x09: put("t")
            case 0x0A: put("n")
            case 0x0B: put("v")
            case 0x0C: put("f")
            case 0x0D: put("r")
            case 0x1B: put("e")
            case 0x22: put("\"")
            case 0x5C: put("\\")
            case 0x85: put("N")
            case 0xA0: put("_")
            case 0x2028: put("L")
            case 0x2029: put("P")
            default:
                let (letter, width): (String, Int) = value <= 0xFF ? ("x", 2) : value <= 0xFFFF ? ("u", 4) : ("U", 8)
                put(letter)
                for shift in stride(from: (width - 1) * 4, through: 0, by: -4) {
                    let digit = UInt8((value >> UInt32(shift)) & 0x0F)
                    put(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "A") + digit - 10)
                }
            }
        }
        writeIndicator("\"", needsWhitespace: false, isWhitespace: false, isIndention: false)
    }
}
