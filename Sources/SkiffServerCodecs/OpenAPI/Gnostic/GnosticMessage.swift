import SkiffAPI
/// The messages of gnostic's `openapiv2/OpenAPIv2.proto` (package `openapi.v2`) that a Swagger 2.0 document maps to.
///
/// Most are "plain": each field comes from the JSON member named like the proto field in lowerCamelCase
/// (`_ref` from `$ref`), `vendor_extension` collects the `x-*` members, and `additional_properties`
/// (or `path`, `response_code`) collects the remaining members as `Named*` pairs, as gnostic's
/// `openapiv2/OpenAPIv2.go` reads them. The rest choose one branch of a `oneof` and are written by hand.
enum GnosticMessage: Sendable {
    case document, info, contact, license, externalDocs, tag, xml
    case paths, pathItem, operation, responses, response, jsonReference
    case bodyParameter, headerParameter, formDataParameter, queryParameter, pathParameter
    case primitivesItems, header, schema, fileSchema
    case basicAuthenticationSecurity, apiKeySecurity
    case oauth2ImplicitSecurity, oauth2PasswordSecurity, oauth2ApplicationSecurity, oauth2AccessCodeSecurity
    // Maps: every member is one `Named*` entry in field 1.
    case definitions, properties, parameterDefinitions, responseDefinitions, securityDefinitions
    case securityRequirement, headers, examples, oauth2Scopes
    // `oneof`s and other messages that are not read from a JSON object member by member.
    case parameter, nonBodyParameter, parametersItem, responseValue, schemaItem, securityDefinitionsItem
    case additionalPropertiesItem, itemsItem, typeItem, stringArray
}

/// How one JSON member (or group of members) becomes protobuf.
enum GnosticFieldKind: Sendable {
    case string
    case bool
    case double
    case int64
    /// `repeated string` from a JSON array.
    case strings
    /// `Any`, holding the value as YAML text.
    case any
    /// `repeated Any` from a JSON array.
    case anys
    case message(GnosticMessage)
    /// `repeated` message from a JSON array.
    case messages(GnosticMessage)
    /// `repeated NamedAny vendor_extension`: every `x-*` member.
    case vendorExtensions
    /// `repeated Named*`: every member that `keys` accepts (and that is not a field or an extension).
    case namedEntries(GnosticNamedValue, keys: GnosticKeyFilter)
}

/// The `value` (field 2) of a `Named*` message; its `name` (field 1) is the member's key.
enum GnosticNamedValue: Sendable {
    case message(GnosticMessage)
    case string
    case any
}

/// Which members a `Named*` list collects.
enum GnosticKeyFilter: Sendable {
    case all
    /// `Paths.path`: keys starting with `/`.
    case paths
    /// `Responses.response_code`: `^([0-9]{3})$|^(default)$`.
    case responseCodes

    func accepts(_ key: String) -> Bool {
        switch self {
        case .all: return true
        case .paths: return key.utf8.first == UInt8(ascii: "/")
        case .responseCodes:
            if key == "default" { return true }
            let utf8 = key.utf8
            return utf8.count == 3 && utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        }
    }
}

/// One protobuf field and the JSON member it is read from (`key` is empty for member groups).
struct GnosticField: Sendable {
    let number: Int
    let key: String
    let kind: GnosticFieldKind

    init(_ number: Int, _ key: String, _ kind: GnosticFieldKind) {
        self.number = number
        self.key = key
        self.kind = kind
    }
}

/// The fields of a plain message in field-number order (the order Go's `proto.Marshal` writes), indexed by key.
struct GnosticMessageLayout: Sendable {
    let fields: [GnosticField]
    /// Index into `fields` of the field read from each JSON key.
    let fieldIndexByKey: [String: Int]
    /// Index into `fields` of the `vendor_extension` field, if the message has one.
    let vendorExtensionIndex: Int?
    /// Index into `fields` of the `Named*` list, if the message has one.
    let namedEntriesIndex: Int?

    init(_ fields: [GnosticField]) {
        self.fields = fields.sorted { $0.number < $1.number }
        var byKey: [String: Int] = [:]
        var extensions: Int?
        var named: Int?
        for (index, field) in self.fields.enumerated() {
            switch field.kind {
            case .vendorExtensions: extensions = index
            case .namedEntries: named = index
            default: byKey[field.key] = index
            }
        }
        fieldIndexByKey = byKey
        vendorExtensionIndex = extensions
        namedEntriesIndex = named
    }
}
