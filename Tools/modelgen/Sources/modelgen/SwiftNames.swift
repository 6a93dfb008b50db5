/// Where a schema lives in Swift: `core.v1` + `Pod`, or no namespace for `Quantity`.
struct SwiftTypeName: Hashable, Comparable {
    /// `core.v1`, `meta.v1`; empty for top-level types.
    var namespace: String
    var name: String

    var qualified: String { namespace.isEmpty ? name : "\(namespace).\(name)" }

    /// The name as written inside `extension <namespace> { … }`.
    func spelled(in current: String) -> String { namespace == current ? name : qualified }

    static func < (a: SwiftTypeName, b: SwiftTypeName) -> Bool { a.qualified < b.qualified }
}

/// The hand-written types in SkiffAPIModels that stand in for schemas with a special JSON form.
let handwrittenTypes: [String: SwiftTypeName] = [
    "io.k8s.apimachinery.pkg.api.resource.Quantity": SwiftTypeName(namespace: "", name: "Quantity"),
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": SwiftTypeName(namespace: "", name: "IntOrString"),
    "io.k8s.apimachinery.pkg.runtime.RawExtension": SwiftTypeName(namespace: "", name: "RawExtension"),
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": SwiftTypeName(namespace: "meta.v1", name: "Time"),
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": SwiftTypeName(namespace: "meta.v1", name: "MicroTime"),
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray":
        SwiftTypeName(namespace: "apiextensions.v1", name: "JSONSchemaPropsOrArray"),
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool":
        SwiftTypeName(namespace: "apiextensions.v1", name: "JSONSchemaPropsOrBool"),
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray":
        SwiftTypeName(namespace: "apiextensions.v1", name: "JSONSchemaPropsOrStringArray"),
]

/// Schemas that hold any JSON at all; each becomes `typealias Name = JSONValue` in its namespace.
let arbitraryJSONTypes: Set<String> = [
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
]

/// Maps a schema id to its Swift name: `io.k8s.api.apps.v1.Deployment` → `apps.v1.Deployment`.
func swiftTypeName(forSchema id: String) throws -> SwiftTypeName {
    if let special = handwrittenTypes[id] { return special }
    let prefixes: [(prefix: String, namespace: String?)] = [
        ("io.k8s.apimachinery.pkg.apis.meta.v1.", "meta.v1"),
        ("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.", "apiextensions.v1"),
        ("io.k8s.api.", nil),  // io.k8s.api.<group>.<version>.<Name>
    ]
    for (prefix, namespace) in prefixes where id.hasPrefix(prefix) {
        let parts = id.dropFirst(prefix.count).split(separator: ".").map(String.init)
        if let namespace, parts.count == 1 { return SwiftTypeName(namespace: namespace, name: parts[0]) }
        if namespace == nil, parts.count == 3 {
            return SwiftTypeName(namespace: "\(parts[0]).\(parts[1])", name: parts[2])
        }
    }
    throw Failure("no Swift name for schema \(id)")
}

/// Names generated code uses unqualified; a model with one of them would shadow it in its namespace.
let reservedTypeNames: Set<String> = [
    "String", "Bool", "Int32", "Int64", "Double", "JSONValue", "JSONObject", "JSONFields", "ModelDecodingError",
    "JSONValueConvertible", "KubernetesKind", "KubernetesObject", "KubernetesList", "Indirect", "Sendable",
    "Equatable", "List", "Self",
]

private let swiftKeywords: Set<String> = [
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
    "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows",
    "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default", "defer",
    "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where",
    "while", "Any", "as", "await", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try",
]

/// A JSON member name as a Swift identifier: `$ref` → `ref`, `x-kubernetes-list-type` → `xKubernetesListType`.
func swiftPropertyName(forJSONName json: String) throws -> String {
    var name = ""
    var upperNext = false
    for c in json {
        if c == "$" { continue }
        if c == "-" {
            upperNext = !name.isEmpty
            continue
        }
        guard c.isASCII, c.isLetter || c.isNumber || c == "_" else { throw Failure("cannot name member \(json)") }
        name.append(upperNext ? Character(c.uppercased()) : c)
        upperNext = false
    }
    guard let first = name.first, !first.isNumber else { throw Failure("cannot name member \(json)") }
    return name
}

/// The identifier as written in code, backquoted when it is a keyword.
func escaped(_ identifier: String) -> String {
    swiftKeywords.contains(identifier) ? "`\(identifier)`" : identifier
}
