import SkiffAPI
// The messages gnostic fills by trying each branch of a `oneof` and keeping the one whose
// validation passes (the last one, when several do). Here the branch is picked directly from
// the members that decide it (`in`, `$ref`, `type`, `flow`).

extension GnosticDocumentWriter {
    /// The field number and message of the `oneof` branch that `object` belongs to.
    static func oneofBranch(
        of message: GnosticMessage, for object: JSONObject
    ) throws(GnosticEncodingError) -> (field: Int, message: GnosticMessage) {
        switch message {
        case .parametersItem:
            return object["$ref"] != nil ? (2, .jsonReference) : (1, .parameter)
        case .parameter:
            return object["in"]?.stringValue == "body" ? (1, .bodyParameter) : (2, .nonBodyParameter)
        case .nonBodyParameter:
            switch object["in"]?.stringValue {
            case "header": return (1, .headerParameter)
            case "formData": return (2, .formDataParameter)
            case "query": return (3, .queryParameter)
            case "path": return (4, .pathParameter)
            default:
                throw GnosticEncodingError(
                    .invalidValue, "a parameter's \"in\" must be body, header, formData, query or path"
                ).inside("in")
            }
        case .responseValue:
            return object["$ref"] != nil ? (2, .jsonReference) : (1, .response)
        case .schemaItem:
            return object["type"]?.stringValue == "file" ? (2, .fileSchema) : (1, .schema)
        case .securityDefinitionsItem:
            switch (object["type"]?.stringValue, object["flow"]?.stringValue) {
            case ("basic", _): return (1, .basicAuthenticationSecurity)
            case ("apiKey", _): return (2, .apiKeySecurity)
            case ("oauth2", "implicit"): return (3, .oauth2ImplicitSecurity)
            case ("oauth2", "password"): return (4, .oauth2PasswordSecurity)
            case ("oauth2", "application"): return (5, .oauth2ApplicationSecurity)
            case ("oauth2", "accessCode"): return (6, .oauth2AccessCodeSecurity)
            default:
                throw GnosticEncodingError(
                    .invalidValue, "a security definition must be basic, apiKey or oauth2 with a known flow"
                )
            }
        default:
            throw GnosticEncodingError(.invalidValue, "no oneof branch for \(message)")
        }
    }

    /// `TypeItem`: `repeated string value = 1`, from one type name or a list of them.
    static func writeTypeItem(_ value: JSONValue, into wire: inout GnosticWireWriter) throws(GnosticEncodingError) {
        switch value {
        case .array(let names):
            for name in names {
                guard let text = scalarTypeName(name) else { throw .mismatch(expected: "a type name", found: name) }
                wire.writeString(1, text)
            }
        default:
            guard let text = scalarTypeName(value) else { throw .mismatch(expected: "a type name", found: value) }
            wire.writeString(1, text)
        }
    }

    /// A scalar's text as YAML holds it (gnostic copies `Node.Value` of any scalar).
    private static func scalarTypeName(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): return text
        case .int(let integer): return String(integer)
        case .double(let double): return GnosticYAML.floatText(double)
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        case .array, .object: return nil
        }
    }

    /// `ItemsItem`: `repeated Schema schema = 1`, from one schema or a list of them.
    static func writeItemsItem(_ value: JSONValue, into wire: inout GnosticWireWriter) throws(GnosticEncodingError) {
        switch value {
        case .array(let schemas):
            for (position, schema) in schemas.enumerated() {
                do {
                    try writeMessage(1, .schema, from: schema, into: &wire)
                } catch {
                    throw error.inside(String(position))
                }
            }
        default:
            try writeMessage(1, .schema, from: value, into: &wire)
        }
    }

    /// `AdditionalPropertiesItem`: `oneof { Schema schema = 1; bool boolean = 2; }`.
    static func writeAdditionalPropertiesItem(
        _ value: JSONValue, into wire: inout GnosticWireWriter
    ) throws(GnosticEncodingError) {
        switch value {
        case .bool(let flag): wire.writeBool(2, flag)  // A set oneof member is written even when false.
        case .object: try writeMessage(1, .schema, from: value, into: &wire)
        default: throw .mismatch(expected: "a schema or a boolean", found: value)
        }
    }

    /// `StringArray`: `repeated string value = 1`; what gnostic cannot read as a string becomes "".
    static func writeStringArray(_ value: JSONValue, into wire: inout GnosticWireWriter) {
        guard case .array(let items) = value else { return }
        for item in items {
            wire.writeString(1, (try? scalarText(item)) ?? "")
        }
    }
}
