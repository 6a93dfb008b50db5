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
        var trail: [Step] = []
        trail.reserveCapacity(16)
        walk(&value, schema: schema, trail: &trail, goStruct: schema, result: &result, depth: 0)
        return result
    }

    /// One step from the root to a value. Paths are spelled out only for an error, so a valid
    /// object costs no string building.
    enum Step {
        case field(String)
        case index(Int)
        case mapKey(String)
    }

    /// `spec.containers[0].image`, `metadata.labels[app]`.
    static func path(_ trail: [Step]) -> String {
        var text = ""
        for step in trail {
            switch step {
            case .field(let key): text += text.isEmpty ? key : ".\(key)"
            case .index(let i): text += "[\(i)]"
            case .mapKey(let key): text += "[\(key)]"
            }
        }
        return text
    }

    /// Go's field path: the field names only (`spec.containers.image`).
    static func goPath(_ trail: [Step]) -> String {
        trail.compactMap { step -> String? in
            if case .field(let key) = step { return key }
            return nil
        }.joined(separator: ".")
    }

    /// `goStruct`: the nearest enclosing schema with a Go struct name (the one a decoding error names).
    private static func walk(_ value: inout JSONValue, schema: Schema, trail: inout [Step], goStruct: Schema?,
                             result: inout Result, depth: Int) {
        guard depth < 100 else { return }
        if case .null = value { return }
        func mismatch(_ detail: String? = nil) {
            let goPath = goPath(trail)
            let structName = goStruct.flatMap(goName) ?? ""
            let target = goPath.isEmpty ? "Go value" : "Go struct field \(structName).\(goPath)"
            let what = detail.map { "number \($0)" } ?? value.goTypeName
            result.typeErrors.append("json: cannot unmarshal \(what) into \(target) of type \(goType(schema))")
        }
        switch schema.kind {
        case .object:
            guard case .object(var object) = value else { return mismatch() }
            value = .null
            let structSchema = schema.definitionName != nil ? schema : goStruct
            var removals: [Int] = []
            for index in object.keys.indices {
                let key = object.keys[index]
                guard let child = schema.property(key) else {
                    trail.append(.field(key))
                    result.unknownFields.append(path(trail))
                    trail.removeLast()
                    removals.append(index)
                    continue
                }
                if case .null = object.values[index] {
                    removals.append(index)
                    continue
                }
                trail.append(.field(key))
                object.modifyValue(at: index) { member in
                    walk(&member, schema: child, trail: &trail, goStruct: structSchema, result: &result, depth: depth + 1)
                }
                trail.removeLast()
            }
            for index in removals.reversed() { object.remove(at: index) }
            value = .object(object)
        case .map:
            guard case .object(var object) = value else { return mismatch() }
            guard let child = schema.values else { return }
            value = .null
            for index in object.keys.indices {
                if case .null = object.values[index] {
                    // A null in a map of strings decodes to Go's zero value, the empty string (a label `a: null`).
                    if child.kind == .string, child.definitionName == nil {
                        object.modifyValue(at: index) { $0 = .string("") }
                    }
                    continue
                }
                trail.append(.mapKey(object.keys[index]))
                object.modifyValue(at: index) { member in
                    walk(&member, schema: child, trail: &trail, goStruct: goStruct, result: &result, depth: depth + 1)
                }
                trail.removeLast()
            }
            value = .object(object)
        case .array:
            guard case .array(var array) = value else { return mismatch() }
            guard let child = schema.elements else { return }
            value = .null
            for i in array.indices {
                trail.append(.index(i))
                walk(&array[i], schema: child, trail: &trail, goStruct: goStruct, result: &result, depth: depth + 1)
                trail.removeLast()
            }
            value = .array(array)
        case .string:
            if schema.definitionName == quantityDefinition {
                switch value {
                case .int(let i): value = .string(String(i))
                case .double: value = .string(value.jsonString)
                case .string(let s):
                    // Decoding a Quantity parses it: a malformed one fails the whole body, as upstream's decoder.
                    let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
                    if !Quantity(trimmed).isValid { result.typeErrors.append(Quantity.formatError) }
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
