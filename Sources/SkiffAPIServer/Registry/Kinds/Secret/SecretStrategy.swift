import Foundation
import SkiffAPI

/// Secrets: `stringData` is merged over `data` and never stored (upstream's v1 → internal conversion does
/// this before anything else sees the object), `type` defaults to Opaque and is immutable, and each
/// well-known type must carry its keys.
struct SecretStrategy: ResourceStrategy {
    /// Upstream's `MaxSecretSize`: the sum of the data values' lengths.
    static let maxSize = 1024 * 1024

    func prepareForCreate(_ object: inout JSONValue, context: StrategyContext) {
        Self.mergeStringData(&object)
        object.setDefault("Opaque", at: ["type"])
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue, context: StrategyContext) {
        Self.mergeStringData(&object)
        object.setDefault("Opaque", at: ["type"])
    }

    func validateCreate(_ object: JSONValue, context: StrategyContext) -> APIError? {
        Self.invalid(object, Self.typeProblems(object))
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue, context: StrategyContext) -> APIError? {
        var problems = Self.typeProblems(object)
        if let type = object["type"], type != old["type"] {
            problems.insert(.invalid("type", type, "field is immutable"), at: 0)
        }
        return Self.invalid(object, problems)
    }

    /// Each `stringData` value replaces the `data` value of its key, base64-encoded.
    static func mergeStringData(_ object: inout JSONValue) {
        guard let strings = object["stringData"]?.objectValue else {
            object["stringData"] = nil
            return
        }
        var data = object["data"]?.objectValue ?? [:]
        for (key, value) in strings {
            data[key] = .string(Data((value.stringValue ?? "").utf8).base64EncodedString())
        }
        object["data"] = .object(data)
        object["stringData"] = nil
    }

    /// The keys each well-known type requires, and the size limit (upstream's `ValidateSecret`).
    static func typeProblems(_ object: JSONValue) -> [FieldProblem] {
        let data = object["data"]?.objectValue ?? [:]
        var problems: [FieldProblem] = []
        func require(_ key: String) {
            if data[key] == nil { problems.append(.required("data[\(key)]")) }
        }
        switch object["type"]?.stringValue ?? "Opaque" {
        case "kubernetes.io/tls":
            require("tls.crt")
            require("tls.key")
        case "kubernetes.io/service-account-token":
            let name = object["metadata"]?["annotations"]?["kubernetes.io/service-account.name"]?.stringValue ?? ""
            if name.isEmpty { problems.append(.required("metadata.annotations[kubernetes.io/service-account.name]")) }
        case "kubernetes.io/dockercfg":
            require(".dockercfg")
            problems += dockerConfigProblems(data, key: ".dockercfg")
        case "kubernetes.io/dockerconfigjson":
            require(".dockerconfigjson")
            problems += dockerConfigProblems(data, key: ".dockerconfigjson")
        case "kubernetes.io/basic-auth":
            if data["username"] == nil && data["password"] == nil {
                require("username")
                require("password")
            }
        case "kubernetes.io/ssh-auth":
            if decoded(data["ssh-privatekey"])?.isEmpty ?? true { problems.append(.required("data[ssh-privatekey]")) }
        default:
            break
        }
        let size = data.values.reduce(0) { $0 + (decoded($1)?.count ?? 0) }
        if size > maxSize { problems.append(.tooLong("data", limit: maxSize)) }
        return problems
    }

    /// A docker config key must hold JSON, as upstream checks with `json.Unmarshal`.
    static func dockerConfigProblems(_ data: JSONObject, key: String) -> [FieldProblem] {
        guard let bytes = decoded(data[key]), !bytes.isEmpty else { return [] }
        do {
            _ = try JSONValue(parsing: Array(bytes))
            return []
        } catch {
            // Go's json error, as upstream's `json.Unmarshal` words it.
            return [.invalid("data[\(key)]", .string("<secret contents redacted>"), error.message)]
        }
    }

    static func decoded(_ value: JSONValue?) -> Data? {
        value?.stringValue.flatMap { Data(base64Encoded: $0) }
    }

    static func invalid(_ object: JSONValue, _ problems: [FieldProblem]) -> APIError? {
        guard !problems.isEmpty else { return nil }
        return FieldProblem.invalid(group: "", kind: "Secret", name: object["metadata"]?["name"]?.stringValue ?? "", problems)
    }
}
