import SkiffAPI
/// A proto scalar type and how it travels on the wire.
enum ProtobufScalar: Sendable {
    case int32, int64, uint32, uint64, sint32, sint64, bool
    case double, fixed64, sfixed64
    case float, fixed32, sfixed32
    case string, bytes

    init?(name: Substring) {
        switch name {
        case "int32": self = .int32
        case "int64": self = .int64
        case "uint32": self = .uint32
        case "uint64": self = .uint64
        case "sint32": self = .sint32
        case "sint64": self = .sint64
        case "bool": self = .bool
        case "double": self = .double
        case "fixed64": self = .fixed64
        case "sfixed64": self = .sfixed64
        case "float": self = .float
        case "fixed32": self = .fixed32
        case "sfixed32": self = .sfixed32
        case "string": self = .string
        case "bytes": self = .bytes
        default: return nil
        }
    }

    /// The wire type of one value; repeated numeric scalars may also come packed (length-delimited).
    var wireType: ProtobufWireType {
        switch self {
        case .int32, .int64, .uint32, .uint64, .sint32, .sint64, .bool: return .varint
        case .double, .fixed64, .sfixed64: return .fixed64
        case .float, .fixed32, .sfixed32: return .fixed32
        case .string, .bytes: return .lengthDelimited
        }
    }
}

enum ProtobufFieldType: Sendable {
    case scalar(ProtobufScalar)
    /// An index into `ProtobufSchema.messages`.
    case message(Int)
}

struct ProtobufFieldDescriptor: Sendable {
    let number: Int
    let jsonName: String
    let type: ProtobufFieldType
    let isRepeated: Bool
    /// The key type of a map field (whose `type` is then the value type).
    let mapKey: ProtobufScalar?
    /// Go's `omitempty` on a non-pointer scalar, slice or map: a zero or empty value is not written.
    let omitEmpty: Bool
    /// An embedded Go struct: its members are written into the enclosing object.
    let isInline: Bool
}

/// How a message becomes JSON: as an object of its fields, or through the custom JSON form of its Go type.
enum ProtobufMessageConversion: Sendable {
    case object
    /// A Go named slice (`metav1.Verbs`, `ExtraValue`): the array in field 1.
    case wrapper
    case time, microTime, duration, quantity, intOrString
    /// `runtime.RawExtension`, `metav1.FieldsV1`, apiextensions `JSON`: field 1 holds JSON text.
    case rawJSON
    case jsonSchemaPropsOrBool, jsonSchemaPropsOrArray, jsonSchemaPropsOrStringArray

    init(fullName: String, isWrapper: Bool) {
        if isWrapper {
            self = .wrapper
            return
        }
        switch fullName {
        case "k8s.io.apimachinery.pkg.apis.meta.v1.Time": self = .time
        case "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime": self = .microTime
        case "k8s.io.apimachinery.pkg.apis.meta.v1.Duration": self = .duration
        case "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1": self = .rawJSON
        case "k8s.io.apimachinery.pkg.api.resource.Quantity",
            "k8s.io.apimachinery.pkg.api.resource.QuantityValue": self = .quantity
        case "k8s.io.apimachinery.pkg.util.intstr.IntOrString": self = .intOrString
        case "k8s.io.apimachinery.pkg.runtime.RawExtension": self = .rawJSON
        case "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSON": self = .rawJSON
        case "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool":
            self = .jsonSchemaPropsOrBool
        case "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray":
            self = .jsonSchemaPropsOrArray
        case "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray":
            self = .jsonSchemaPropsOrStringArray
        default: self = .object
        }
    }
}

/// A class, so that the decoder's many lookups of a message retain one object rather than copy three arrays.
final class ProtobufMessageDescriptor: Sendable {
    let fullName: String
    /// The Go type name, for error messages (`Container`).
    var name: Substring {
        fullName[(fullName.lastIndex(of: ".").map(fullName.index(after:)) ?? fullName.startIndex)...]
    }
    let conversion: ProtobufMessageConversion
    /// Fields in the order Go's JSON writes them.
    let fields: [ProtobufFieldDescriptor]
    /// Field number → index in `fields`, or -1; sized to the largest field number + 1.
    let slotByNumber: [Int32]

    init(
        fullName: String, conversion: ProtobufMessageConversion, fields: [ProtobufFieldDescriptor],
        slotByNumber: [Int32]
    ) {
        self.fullName = fullName
        self.conversion = conversion
        self.fields = fields
        self.slotByNumber = slotByNumber
    }

    func slot(forNumber number: Int) -> Int? {
        guard number < slotByNumber.count else { return nil }
        let slot = slotByNumber[number]
        return slot < 0 ? nil : Int(slot)
    }
}

/// The message descriptions of `KubernetesProtobufTable`, resolved into indexed form.
struct ProtobufSchema: Sendable {
    let messages: [ProtobufMessageDescriptor]
    let messageIndexByFullName: [String: Int]
    /// `apps/v1` → `k8s.io.api.apps.v1`.
    let packageByAPIVersion: [String: String]

    /// The schema of the generated table, parsed on first use.
    static let shared: Result<ProtobufSchema, KubernetesProtobufError> = Result {
        () throws(KubernetesProtobufError) -> ProtobufSchema in
        try ProtobufSchema(table: KubernetesProtobufTable.text)
    }

    static let metaPackage = "k8s.io.apimachinery.pkg.apis.meta.v1"
    /// Kinds every group-version accepts (apimachinery's `AddToGroupVersion` registers them everywhere).
    static let kindsInEveryGroupVersion: Set<Substring> = [
        "DeleteOptions", "CreateOptions", "UpdateOptions", "PatchOptions", "GetOptions", "ListOptions", "Status",
        "WatchEvent",
    ]

    /// The message for a kind of an apiVersion, when it is a top-level object this schema knows.
    func messageIndex(apiVersion: String, kind: String) -> Int? {
        guard let package = packageByAPIVersion[apiVersion] else { return nil }
        if let index = messageIndexByFullName[package + "." + kind] { return index }
        if Self.kindsInEveryGroupVersion.contains(kind[...]) {
            return messageIndexByFullName[Self.metaPackage + "." + kind]
        }
        return nil
    }
}
