import Foundation
import SkiffAPI

/// Checks a JSON object against its kind's OpenAPI schema the way decoding into the Go type does:
/// members the schema does not know are removed and reported (the API server refuses, warns or
/// ignores them per `fieldValidation`), nulls are dropped (Go's zero values), numbers meant as
/// quantities become strings, and type mismatches are worded as Go's `encoding/json` words them.
enum SchemaChecker {
    struct Result {
        /// Paths of unknown fields (`spec.containers[0].imagee`).
        var unknownFields: [String] = []
        /// Decoding errors (`json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`).
        var typeErrors: [String] = []
    }

    static let quantityDefinition = "io.k8s.apimachinery.pkg.api.resource.Quantity"

    static func check(_ value: inout JSONValue, schema: Schema) -> Result {
        var result = Result()
        walk(&value, schema: schema, path: "", goPath: "", goStruct: goName(schema) ?? "", result: &result, depth: 0)
        return result
    }

    private static func walk(_ value: inout JSONValue, schema: Schema, path: String, goPath: String, goStruct: String,
                             result: inout Result, depth: Int) {
        guard depth < 100 else { return }
        if case .null = value { return }
        func mismatch(_ detail: String? = nil) {
            let target = goPath.isEmpty ? "Go value" : "Go struct field \(goStruct).\(goPath)"
            let what = detail.map { "number \($0)" } ?? value.goTypeName
            result.typeErrors.append("json: cannot unmarshal \(what) into \(target) of type \(goType(schema))")
        }
        switch schema.kind {
        case .object:
            guard case .object(var object) = value else { return mismatch() }
            value = .null
            let structName = goName(schema) ?? goStruct
            for key in Array(object.keys) {
                guard var member = object[key] else { continue }
                let memberPath = path.isEmpty ? key : "\(path).\(key)"
                let memberGoPath = goPath.isEmpty ? key : "\(goPath).\(key)"
                guard let child = schema.property(key) else {
                    result.unknownFields.append(memberPath)
                    object.removeValue(forKey: key)
                    continue
                }
                if case .null = member {
                    object.removeValue(forKey: key)
                    continue
                }
                object[key] = .null
                walk(&member, schema: child, path: memberPath, goPath: memberGoPath,
                     goStruct: structName, result: &result, depth: depth + 1)
                object[key] = member
            }
            value = .object(object)
        case .map:
            guard case .object(var object) = value else { return mismatch() }
            guard let child = schema.values else { return }
            value = .null
            for key in Array(object.keys) {
                guard var member = object[key] else { continue }
                if case .null = member { continue }
                object[key] = .null
                walk(&member, schema: child, path: path.isEmpty ? key : "\(path)[\(key)]", goPath: goPath,
                     goStruct: goStruct, result: &result, depth: depth + 1)
                object[key] = member
            }
            value = .object(object)
        case .array:
            guard case .array(var array) = value else { return mismatch() }
            guard let child = schema.elements else { return }
            value = .null
            for i in array.indices {
                var element = array[i]
                array[i] = .null
                walk(&element, schema: child, path: "\(path)[\(i)]", goPath: goPath, goStruct: goStruct,
                     result: &result, depth: depth + 1)
                array[i] = element
            }
            value = .array(array)
        case .string:
            if schema.definitionName == quantityDefinition {
                switch value {
                case .int(let i): value = .string(String(i))
                case .double: value = .string(value.jsonString)
                case .string: break
                default: return mismatch()
                }
                return
            }
            guard case .string(let s) = value else { return mismatch() }
            if schema.format == "byte", Data(base64Encoded: s) == nil {
                result.typeErrors.append("illegal base64 data at input byte \(firstInvalidBase64Byte(s))")
            } else if schema.format == "date-time", !s.isEmpty, !isRFC3339(s) {
                result.typeErrors.append("parsing time \"\(s)\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\(s)\" as \"2006\"")
            }
        case .integer:
            switch value {
            case .int(let i):
                if schema.format == "int32", Int32(exactly: i) == nil { mismatch(String(i)) }
            case .double: mismatch(value.jsonString)
            default: mismatch()
            }
        case .number:
            switch value {
            case .int, .double: break
            default: mismatch()
            }
        case .boolean:
            guard case .bool = value else { return mismatch() }
        case .intOrString:
            switch value {
            case .int, .string: break
            default: mismatch()
            }
        case .any:
            break
        }
    }

    /// `v1.PodSpec` for a named definition, `int32`, `[]v1.Container`, `map[string]string` otherwise.
    static func goType(_ schema: Schema) -> String {
        if let name = goQualifiedName(schema) { return name }
        switch schema.kind {
        case .object, .any: return "map[string]interface {}"
        case .map: return "map[string]" + (schema.values.map(goType) ?? "interface {}")
        case .array: return "[]" + (schema.elements.map(goType) ?? "interface {}")
        case .string: return "string"
        case .integer: return schema.format == "int64" ? "int64" : "int32"
        case .number: return "float64"
        case .boolean: return "bool"
        case .intOrString: return "intstr.IntOrString"
        }
    }

    /// `PodSpec` from `io.k8s.api.core.v1.PodSpec`.
    static func goName(_ schema: Schema) -> String? {
        schema.definitionName.map { $0.split(separator: ".").last.map(String.init) ?? $0 }
    }

    /// `v1.PodSpec` from `io.k8s.api.core.v1.PodSpec`.
    static func goQualifiedName(_ schema: Schema) -> String? {
        guard let name = schema.definitionName else { return nil }
        let parts = name.split(separator: ".")
        guard parts.count >= 2 else { return name }
        return "\(parts[parts.count - 2]).\(parts[parts.count - 1])"
    }

    static func isRFC3339(_ s: String) -> Bool {
        (try? Date(s, strategy: .iso8601)) != nil
            || (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(s)) != nil
    }

    static func firstInvalidBase64Byte(_ s: String) -> Int {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".utf8)
        for (i, c) in s.utf8.enumerated() where !allowed.contains(c) { return i }
        return s.utf8.count
    }
}
