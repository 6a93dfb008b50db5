import SkiffAPI
/// Walks a parsed Swagger 2.0 document and writes the gnostic messages it maps to, field by field.
///
/// Mirrors gnostic's `openapiv2/OpenAPIv2.go`: proto3 defaults (empty strings, `false`, `0`, empty lists)
/// are left out, a message is written whenever its member is present, and a `oneof` takes the branch
/// gnostic's validation would leave standing. Members gnostic does not know are skipped.
enum GnosticDocumentWriter {
    /// Writes the fields of `message` read from `value`.
    static func writeBody(
        of message: GnosticMessage, from value: JSONValue, into wire: inout GnosticWireWriter
    ) throws(GnosticEncodingError) {
        if let layout = message.layout {
            switch value {
            case .object(let object): try writeFields(of: layout, from: object, into: &wire)
            case .null: return  // gnostic reads `null` as a message with nothing set.
            default: throw .mismatch(expected: "an object", found: value)
            }
            return
        }
        switch message {
        case .typeItem: try writeTypeItem(value, into: &wire)
        case .itemsItem: try writeItemsItem(value, into: &wire)
        case .additionalPropertiesItem: try writeAdditionalPropertiesItem(value, into: &wire)
        case .stringArray: writeStringArray(value, into: &wire)
        default:
            guard case .object(let object) = value else { throw .mismatch(expected: "an object", found: value) }
            let (field, branch) = try oneofBranch(of: message, for: object)
            try writeMessage(field, branch, from: value, into: &wire)
        }
    }

    // MARK: Plain messages

    private static func writeFields(
        of layout: GnosticMessageLayout, from object: JSONObject, into wire: inout GnosticWireWriter
    ) throws(GnosticEncodingError) {
        // Members come in the document's order; fields must go out in field-number order.
        var found = [JSONValue?](repeating: nil, count: layout.fields.count)
        var hasExtensions = false
        var hasNamedEntries = false
        // Index loops over the members: tuple iteration costs generic metadata look-ups in debug builds.
        let keys = object.storage.keys
        let values = object.storage.values
        for position in 0..<keys.count {
            let key = keys[position]
            if let index = layout.fieldIndexByKey[key] {
                found[index] = values[position]
            } else if layout.vendorExtensionIndex != nil, isExtensionKey(key) {
                hasExtensions = true
            } else if let index = layout.namedEntriesIndex, case .namedEntries(_, let keys) = layout.fields[index].kind,
                keys.accepts(key)
            {
                hasNamedEntries = true
            }
        }
        for index in 0..<layout.fields.count {
            let field = layout.fields[index]
            switch field.kind {
            case .vendorExtensions:
                if hasExtensions { writeVendorExtensions(field.number, from: object, into: &wire) }
            case .namedEntries(let value, let keys):
                if hasNamedEntries {
                    try writeNamedEntries(field.number, value, keys: keys, layout: layout, from: object, into: &wire)
                }
            default:
                guard let value = found[index] else { continue }
                do {
                    try writeField(field, value, into: &wire)
                } catch {
                    throw error.inside(field.key)
                }
            }
        }
    }

    private static func writeField(
        _ field: GnosticField, _ value: JSONValue, into wire: inout GnosticWireWriter
    ) throws(GnosticEncodingError) {
        switch field.kind {
        case .string:
            let text = try scalarText(value)
            if !text.isEmpty { wire.writeString(field.number, text) }
        case .bool:
            guard case .bool(let flag) = value else { throw .mismatch(expected: "a boolean", found: value) }
            if flag { wire.writeBool(field.number, true) }
        case .double:
            let number: Double
            switch value {
            case .int(let integer): number = Double(integer)
            case .double(let double): number = double
            default: throw .mismatch(expected: "a number", found: value)
            }
            if number != 0 || number.sign == .minus { wire.writeDouble(field.number, number) }
        case .int64:
            let integer: Int64
            switch value {
            case .int(let exact): integer = exact
            case .double(let double):
                guard let exact = Int64(exactly: double) else { throw .mismatch(expected: "an integer", found: value) }
                integer = exact
            default: throw .mismatch(expected: "an integer", found: value)
            }
            if integer != 0 { wire.writeInt64(field.number, integer) }
        case .strings:
            guard case .array(let items) = value else { throw .mismatch(expected: "an array", found: value) }
            for item in items {
                // gnostic keeps the scalars it can read as strings and drops the rest.
                if let text = try? scalarText(item) { wire.writeString(field.number, text) }
            }
        case .any:
            writeAny(field.number, value, into: &wire)
        case .anys:
            // gnostic ignores an `enum` that is not a list.
            guard case .array(let items) = value else { return }
            for item in items { writeAny(field.number, item, into: &wire) }
        case .message(let message):
            try writeMessage(field.number, message, from: value, into: &wire)
        case .messages(let message):
            guard case .array(let items) = value else { throw .mismatch(expected: "an array", found: value) }
            for (position, item) in items.enumerated() {
                do {
                    try writeMessage(field.number, message, from: item, into: &wire)
                } catch {
                    throw error.inside(String(position))
                }
            }
        case .vendorExtensions, .namedEntries:
            break  // Written from the whole object by `writeFields`.
        }
    }

    /// `message`, read from `value`, as field `field`.
    static func writeMessage(
        _ field: Int, _ message: GnosticMessage, from value: JSONValue, into wire: inout GnosticWireWriter
    ) throws(GnosticEncodingError) {
        try wire.writeLengthDelimited(field) { (wire: inout GnosticWireWriter) throws(GnosticEncodingError) in
            try writeBody(of: message, from: value, into: &wire)
        }
    }

    /// `NamedAny` entries for every `x-*` member, in document order.
    private static func writeVendorExtensions(_ field: Int, from object: JSONObject, into wire: inout GnosticWireWriter)
    {
        let keys = object.storage.keys
        let values = object.storage.values
        for position in 0..<keys.count where isExtensionKey(keys[position]) {
            let key = keys[position]
            let value = values[position]
            wire.writeLengthDelimited(field) { wire in
                wire.writeString(1, key)
                writeAny(2, value, into: &wire)
            }
        }
    }

    /// `Named*` entries for the members that `keys` accepts and that are neither fields nor extensions.
    private static func writeNamedEntries(
        _ field: Int, _ valueKind: GnosticNamedValue, keys: GnosticKeyFilter, layout: GnosticMessageLayout,
        from object: JSONObject, into wire: inout GnosticWireWriter
    ) throws(GnosticEncodingError) {
        let names = object.storage.keys
        let values = object.storage.values
        for position in 0..<names.count where keys.accepts(names[position]) {
            let key = names[position]
            let value = values[position]
            if layout.fieldIndexByKey[key] != nil { continue }
            if layout.vendorExtensionIndex != nil, isExtensionKey(key) { continue }
            do {
                try wire.writeLengthDelimited(field) { (wire: inout GnosticWireWriter) throws(GnosticEncodingError) in
                    if !key.isEmpty { wire.writeString(1, key) }
                    switch valueKind {
                    case .message(let message):
                        try writeMessage(2, message, from: value, into: &wire)
                    case .string:
                        let text = try scalarText(value)
                        if !text.isEmpty { wire.writeString(2, text) }
                    case .any:
                        writeAny(2, value, into: &wire)
                    }
                }
            } catch {
                throw error.inside(key)
            }
        }
    }

    /// An `Any` message: `value` (1) unset, `yaml` (2) the value as gnostic renders it.
    static func writeAny(_ field: Int, _ value: JSONValue, into wire: inout GnosticWireWriter) {
        wire.writeLengthDelimited(field) { wire in
            wire.writeLengthDelimited(2) { wire in wire.appendRaw(contentsOf: GnosticYAML.render(value)) }
        }
    }

    /// Whether `key` names a vendor extension (`^x-`).
    private static func isExtensionKey(_ key: String) -> Bool {
        key.hasPrefix("x-")
    }

    /// A scalar as gnostic's `StringForScalarNode` reads it: strings and integers as written, `null` as empty.
    static func scalarText(_ value: JSONValue) throws(GnosticEncodingError) -> String {
        switch value {
        case .string(let text): return text
        case .int(let integer): return String(integer)
        case .null: return ""
        default: throw .mismatch(expected: "a string", found: value)
        }
    }
}
