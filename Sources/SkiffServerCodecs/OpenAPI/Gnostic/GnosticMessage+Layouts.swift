import SkiffAPI
// Field numbers from gnostic-models `openapiv2/OpenAPIv2.proto`; JSON keys as `openapiv2/OpenAPIv2.go` reads them.

extension GnosticMessage {
    /// The layout of a plain or map message; `nil` for the ones `GnosticDocumentWriter` writes by hand.
    var layout: GnosticMessageLayout? {
        switch self {
        case .document: return GnosticLayouts.document
        case .info: return GnosticLayouts.info
        case .contact: return GnosticLayouts.contact
        case .license: return GnosticLayouts.license
        case .externalDocs: return GnosticLayouts.externalDocs
        case .tag: return GnosticLayouts.tag
        case .xml: return GnosticLayouts.xml
        case .paths: return GnosticLayouts.paths
        case .pathItem: return GnosticLayouts.pathItem
        case .operation: return GnosticLayouts.operation
        case .responses: return GnosticLayouts.responses
        case .response: return GnosticLayouts.response
        case .jsonReference: return GnosticLayouts.jsonReference
        case .bodyParameter: return GnosticLayouts.bodyParameter
        case .headerParameter: return GnosticLayouts.headerParameter
        case .formDataParameter: return GnosticLayouts.formDataParameter
        case .queryParameter: return GnosticLayouts.queryParameter
        case .pathParameter: return GnosticLayouts.pathParameter
        case .primitivesItems: return GnosticLayouts.primitivesItems
        case .header: return GnosticLayouts.header
        case .schema: return GnosticLayouts.schema
        case .fileSchema: return GnosticLayouts.fileSchema
        case .basicAuthenticationSecurity: return GnosticLayouts.basicAuthenticationSecurity
        case .apiKeySecurity: return GnosticLayouts.apiKeySecurity
        case .oauth2ImplicitSecurity: return GnosticLayouts.oauth2ImplicitSecurity
        case .oauth2PasswordSecurity: return GnosticLayouts.oauth2PasswordSecurity
        case .oauth2ApplicationSecurity: return GnosticLayouts.oauth2ApplicationSecurity
        case .oauth2AccessCodeSecurity: return GnosticLayouts.oauth2AccessCodeSecurity
        case .definitions: return GnosticLayouts.definitions
        case .properties: return GnosticLayouts.properties
        case .parameterDefinitions: return GnosticLayouts.parameterDefinitions
        case .responseDefinitions: return GnosticLayouts.responseDefinitions
        case .securityDefinitions: return GnosticLayouts.securityDefinitions
        case .securityRequirement: return GnosticLayouts.securityRequirement
        case .headers: return GnosticLayouts.headers
        case .examples: return GnosticLayouts.examples
        case .oauth2Scopes: return GnosticLayouts.oauth2Scopes
        case .parameter, .nonBodyParameter, .parametersItem, .responseValue, .schemaItem, .securityDefinitionsItem,
            .additionalPropertiesItem, .itemsItem, .typeItem, .stringArray:
            return nil
        }
    }
}

enum GnosticLayouts {
    static let document = GnosticMessageLayout([
        GnosticField(1, "swagger", .string),
        GnosticField(2, "info", .message(.info)),
        GnosticField(3, "host", .string),
        GnosticField(4, "basePath", .string),
        GnosticField(5, "schemes", .strings),
        GnosticField(6, "consumes", .strings),
        GnosticField(7, "produces", .strings),
        GnosticField(8, "paths", .message(.paths)),
        GnosticField(9, "definitions", .message(.definitions)),
        GnosticField(10, "parameters", .message(.parameterDefinitions)),
        GnosticField(11, "responses", .message(.responseDefinitions)),
        GnosticField(12, "security", .messages(.securityRequirement)),
        GnosticField(13, "securityDefinitions", .message(.securityDefinitions)),
        GnosticField(14, "tags", .messages(.tag)),
        GnosticField(15, "externalDocs", .message(.externalDocs)),
        GnosticField(16, "", .vendorExtensions),
    ])

    static let info = GnosticMessageLayout([
        GnosticField(1, "title", .string),
        GnosticField(2, "version", .string),
        GnosticField(3, "description", .string),
        GnosticField(4, "termsOfService", .string),
        GnosticField(5, "contact", .message(.contact)),
        GnosticField(6, "license", .message(.license)),
        GnosticField(7, "", .vendorExtensions),
    ])

    static let contact = GnosticMessageLayout([
        GnosticField(1, "name", .string),
        GnosticField(2, "url", .string),
        GnosticField(3, "email", .string),
        GnosticField(4, "", .vendorExtensions),
    ])

    static let license = GnosticMessageLayout([
        GnosticField(1, "name", .string),
        GnosticField(2, "url", .string),
        GnosticField(3, "", .vendorExtensions),
    ])

    static let externalDocs = GnosticMessageLayout([
        GnosticField(1, "description", .string),
        GnosticField(2, "url", .string),
        GnosticField(3, "", .vendorExtensions),
    ])

    static let tag = GnosticMessageLayout([
        GnosticField(1, "name", .string),
        GnosticField(2, "description", .string),
        GnosticField(3, "externalDocs", .message(.externalDocs)),
        GnosticField(4, "", .vendorExtensions),
    ])

    static let xml = GnosticMessageLayout([
        GnosticField(1, "name", .string),
        GnosticField(2, "namespace", .string),
        GnosticField(3, "prefix", .string),
        GnosticField(4, "attribute", .bool),
        GnosticField(5, "wrapped", .bool),
        GnosticField(6, "", .vendorExtensions),
    ])

    static let paths = GnosticMessageLayout([
        GnosticField(1, "", .vendorExtensions),
        GnosticField(2, "", .namedEntries(.message(.pathItem), keys: .paths)),
    ])

    static let pathItem = GnosticMessageLayout([
        GnosticField(1, "$ref", .string),
        GnosticField(2, "get", .message(.operation)),
        GnosticField(3, "put", .message(.operation)),
        GnosticField(4, "post", .message(.operation)),
        GnosticField(5, "delete", .message(.operation)),
        GnosticField(6, "options", .message(.operation)),
        GnosticField(7, "head", .message(.operation)),
        GnosticField(8, "patch", .message(.operation)),
        GnosticField(9, "parameters", .messages(.parametersItem)),
        GnosticField(10, "", .vendorExtensions),
    ])

    static let operation = GnosticMessageLayout([
        GnosticField(1, "tags", .strings),
        GnosticField(2, "summary", .string),
        GnosticField(3, "description", .string),
        GnosticField(4, "externalDocs", .message(.externalDocs)),
        GnosticField(5, "operationId", .string),
        GnosticField(6, "produces", .strings),
        GnosticField(7, "consumes", .strings),
        GnosticField(8, "parameters", .messages(.parametersItem)),
        GnosticField(9, "responses", .message(.responses)),
        GnosticField(10, "schemes", .strings),
        GnosticField(11, "deprecated", .bool),
        GnosticField(12, "security", .messages(.securityRequirement)),
        GnosticField(13, "", .vendorExtensions),
    ])

    static let responses = GnosticMessageLayout([
        GnosticField(1, "", .namedEntries(.message(.responseValue), keys: .responseCodes)),
        GnosticField(2, "", .vendorExtensions),
    ])

    static let response = GnosticMessageLayout([
        GnosticField(1, "description", .string),
        GnosticField(2, "schema", .message(.schemaItem)),
        GnosticField(3, "headers", .message(.headers)),
        GnosticField(4, "examples", .message(.examples)),
        GnosticField(5, "", .vendorExtensions),
    ])

    static let jsonReference = GnosticMessageLayout([
        GnosticField(1, "$ref", .string),
        GnosticField(2, "description", .string),
    ])

    static let bodyParameter = GnosticMessageLayout([
        GnosticField(1, "description", .string),
        GnosticField(2, "name", .string),
        GnosticField(3, "in", .string),
        GnosticField(4, "required", .bool),
        GnosticField(5, "schema", .message(.schema)),
        GnosticField(6, "", .vendorExtensions),
    ])

    /// The validation keywords shared by non-body parameters, headers and primitive items, from `first` on.
    private static func primitiveFields(from first: Int) -> [GnosticField] {
        [
            GnosticField(first, "collectionFormat", .string),
            GnosticField(first + 1, "default", .any),
            GnosticField(first + 2, "maximum", .double),
            GnosticField(first + 3, "exclusiveMaximum", .bool),
            GnosticField(first + 4, "minimum", .double),
            GnosticField(first + 5, "exclusiveMinimum", .bool),
            GnosticField(first + 6, "maxLength", .int64),
            GnosticField(first + 7, "minLength", .int64),
            GnosticField(first + 8, "pattern", .string),
            GnosticField(first + 9, "maxItems", .int64),
            GnosticField(first + 10, "minItems", .int64),
            GnosticField(first + 11, "uniqueItems", .bool),
            GnosticField(first + 12, "enum", .anys),
            GnosticField(first + 13, "multipleOf", .double),
            GnosticField(first + 14, "", .vendorExtensions),
        ]
    }

    static let headerParameter = GnosticMessageLayout(
        [
            GnosticField(1, "required", .bool),
            GnosticField(2, "in", .string),
            GnosticField(3, "description", .string),
            GnosticField(4, "name", .string),
            GnosticField(5, "type", .string),
            GnosticField(6, "format", .string),
            GnosticField(7, "items", .message(.primitivesItems)),
        ] + primitiveFields(from: 8)
    )

    static let pathParameter = GnosticMessageLayout(
        [
            GnosticField(1, "required", .bool),
            GnosticField(2, "in", .string),
            GnosticField(3, "description", .string),
            GnosticField(4, "name", .string),
            GnosticField(5, "type", .string),
            GnosticField(6, "format", .string),
            GnosticField(7, "items", .message(.primitivesItems)),
        ] + primitiveFields(from: 8)
    )

    static let queryParameter = GnosticMessageLayout(
        [
            GnosticField(1, "required", .bool),
            GnosticField(2, "in", .string),
            GnosticField(3, "description", .string),
            GnosticField(4, "name", .string),
            GnosticField(5, "allowEmptyValue", .bool),
            GnosticField(6, "type", .string),
            GnosticField(7, "format", .string),
            GnosticField(8, "items", .message(.primitivesItems)),
        ] + primitiveFields(from: 9)
    )

    static let formDataParameter = GnosticMessageLayout(
        [
            GnosticField(1, "required", .bool),
            GnosticField(2, "in", .string),
            GnosticField(3, "description", .string),
            GnosticField(4, "name", .string),
            GnosticField(5, "allowEmptyValue", .bool),
            GnosticField(6, "type", .string),
            GnosticField(7, "format", .string),
            GnosticField(8, "items", .message(.primitivesItems)),
        ] + primitiveFields(from: 9)
    )

    static let primitivesItems = GnosticMessageLayout(
        [
            GnosticField(1, "type", .string),
            GnosticField(2, "format", .string),
            GnosticField(3, "items", .message(.primitivesItems)),
        ] + primitiveFields(from: 4)
    )

    static let header = GnosticMessageLayout(
        [
            GnosticField(1, "type", .string),
            GnosticField(2, "format", .string),
            GnosticField(3, "items", .message(.primitivesItems)),
        ]
            + primitiveFields(from: 4).map { field in
                // Header puts `description` (18) before its extensions, which move to 19.
                field.number == 18 ? GnosticField(19, "", .vendorExtensions) : field
            } + [GnosticField(18, "description", .string)]
    )

    static let schema = GnosticMessageLayout([
        GnosticField(1, "$ref", .string),
        GnosticField(2, "format", .string),
        GnosticField(3, "title", .string),
        GnosticField(4, "description", .string),
        GnosticField(5, "default", .any),
        GnosticField(6, "multipleOf", .double),
        GnosticField(7, "maximum", .double),
        GnosticField(8, "exclusiveMaximum", .bool),
        GnosticField(9, "minimum", .double),
        GnosticField(10, "exclusiveMinimum", .bool),
        GnosticField(11, "maxLength", .int64),
        GnosticField(12, "minLength", .int64),
        GnosticField(13, "pattern", .string),
        GnosticField(14, "maxItems", .int64),
        GnosticField(15, "minItems", .int64),
        GnosticField(16, "uniqueItems", .bool),
        GnosticField(17, "maxProperties", .int64),
        GnosticField(18, "minProperties", .int64),
        GnosticField(19, "required", .strings),
        GnosticField(20, "enum", .anys),
        GnosticField(21, "additionalProperties", .message(.additionalPropertiesItem)),
        GnosticField(22, "type", .message(.typeItem)),
        GnosticField(23, "items", .message(.itemsItem)),
        GnosticField(24, "allOf", .messages(.schema)),
        GnosticField(25, "properties", .message(.properties)),
        GnosticField(26, "discriminator", .string),
        GnosticField(27, "readOnly", .bool),
        GnosticField(28, "xml", .message(.xml)),
        GnosticField(29, "externalDocs", .message(.externalDocs)),
        GnosticField(30, "example", .any),
        GnosticField(31, "", .vendorExtensions),
    ])

    static let fileSchema = GnosticMessageLayout([
        GnosticField(1, "format", .string),
        GnosticField(2, "title", .string),
        GnosticField(3, "description", .string),
        GnosticField(4, "default", .any),
        GnosticField(5, "required", .strings),
        GnosticField(6, "type", .string),
        GnosticField(7, "readOnly", .bool),
        GnosticField(8, "externalDocs", .message(.externalDocs)),
        GnosticField(9, "example", .any),
        GnosticField(10, "", .vendorExtensions),
    ])

    static let basicAuthenticationSecurity = GnosticMessageLayout([
        GnosticField(1, "type", .string),
        GnosticField(2, "description", .string),
        GnosticField(3, "", .vendorExtensions),
    ])

    static let apiKeySecurity = GnosticMessageLayout([
        GnosticField(1, "type", .string),
        GnosticField(2, "name", .string),
        GnosticField(3, "in", .string),
        GnosticField(4, "description", .string),
        GnosticField(5, "", .vendorExtensions),
    ])

    static let oauth2ImplicitSecurity = GnosticMessageLayout([
        GnosticField(1, "type", .string),
        GnosticField(2, "flow", .string),
        GnosticField(3, "scopes", .message(.oauth2Scopes)),
        GnosticField(4, "authorizationUrl", .string),
        GnosticField(5, "description", .string),
        GnosticField(6, "", .vendorExtensions),
    ])

    static let oauth2PasswordSecurity = GnosticMessageLayout([
        GnosticField(1, "type", .string),
        GnosticField(2, "flow", .string),
        GnosticField(3, "scopes", .message(.oauth2Scopes)),
        GnosticField(4, "tokenUrl", .string),
        GnosticField(5, "description", .string),
        GnosticField(6, "", .vendorExtensions),
    ])

    static let oauth2ApplicationSecurity = GnosticMessageLayout([
        GnosticField(1, "type", .string),
        GnosticField(2, "flow", .string),
        GnosticField(3, "scopes", .message(.oauth2Scopes)),
        GnosticField(4, "tokenUrl", .string),
        GnosticField(5, "description", .string),
        GnosticField(6, "", .vendorExtensions),
    ])

    static let oauth2AccessCodeSecurity = GnosticMessageLayout([
        GnosticField(1, "type", .string),
        GnosticField(2, "flow", .string),
        GnosticField(3, "scopes", .message(.oauth2Scopes)),
        GnosticField(4, "authorizationUrl", .string),
        GnosticField(5, "tokenUrl", .string),
        GnosticField(6, "description", .string),
        GnosticField(7, "", .vendorExtensions),
    ])

    private static func map(of value: GnosticNamedValue) -> GnosticMessageLayout {
        GnosticMessageLayout([GnosticField(1, "", .namedEntries(value, keys: .all))])
    }

    static let definitions = map(of: .message(.schema))
    static let properties = map(of: .message(.schema))
    static let parameterDefinitions = map(of: .message(.parameter))
    static let responseDefinitions = map(of: .message(.response))
    static let securityDefinitions = map(of: .message(.securityDefinitionsItem))
    static let securityRequirement = map(of: .message(.stringArray))
    static let headers = map(of: .message(.header))
    static let examples = map(of: .any)
    static let oauth2Scopes = map(of: .string)
}
