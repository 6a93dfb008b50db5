import Foundation
import SkiffAPI

/// A container's environment as the kubelet's `makeEnvironmentVariables` builds it: `envFrom` first (later
/// sources win), then `env` in order, each `value` with `$(VAR)` references expanded and each `valueFrom`
/// resolved. A missing object or key that is not optional fails the start (`CreateContainerConfigError`).
enum ContainerEnvironment {
    static func resolve(container: core.v1.Container, objects: PodConfigObjects, downward: DownwardAPI)
        async throws(ConfigFailure) -> [String: String]
    {
        var env: [String: String] = [:]
        for source in container.envFrom ?? [] {
            let prefix = source.prefix ?? ""
            let (kind, name, optional): (PodConfigObjects.Kind, String?, Bool?) = if let ref = source.configMapRef {
                (.configMap, ref.name, ref.optional)
            } else {
                (.secret, source.secretRef?.name, source.secretRef?.optional)
            }
            guard let name else { continue }
            guard let entries = try await objects.entries(kind, name, includeBinary: false) else {
                if optional == true { continue }
                throw objects.notFound(kind, name)
            }
            for (key, value) in entries { env[prefix + key] = String(decoding: value, as: UTF8.self) }
        }
        for variable in container.env ?? [] {
            let name = variable.name
            if let value = variable.value, !value.isEmpty {
                let defined = env
                env[name] = expand(value) { defined[$0] }
                continue
            }
            guard let from = variable.valueFrom else {
                env[name] = ""
                continue
            }
            if let field = from.fieldRef {
                do { env[name] = try downward.fieldValue(field.fieldPath) } catch {
                    throw ConfigFailure(description: "\(error)")
                }
            } else if let resource = from.resourceFieldRef {
                do { env[name] = try downward.resourceValue(resource, container: container) } catch {
                    throw ConfigFailure(description: "\(error)")
                }
            } else if let ref = keyReference(from) {
                let (kind, key, objectName) = (ref.kind, ref.key, ref.name ?? "")
                guard let entries = try await objects.entries(kind, objectName, includeBinary: false) else {
                    if ref.optional == true { continue }
                    throw objects.notFound(kind, objectName)
                }
                guard let value = entries[key] else {
                    if ref.optional == true { continue }
                    let kindName = kind == .configMap ? "ConfigMap" : "Secret"
                    throw ConfigFailure(description: "couldn't find key \(key) in \(kindName) \(objects.namespace)/\(objectName)")
                }
                env[name] = String(decoding: value, as: UTF8.self)
            }
        }
        return env
    }

    /// A `configMapKeyRef` or `secretKeyRef` (the ConfigMap's when both are given).
    private static func keyReference(_ from: core.v1.EnvVarSource)
        -> (kind: PodConfigObjects.Kind, name: String?, key: String, optional: Bool?)?
    {
        if let ref = from.configMapKeyRef { return (.configMap, ref.name, ref.key, ref.optional) }
        if let ref = from.secretKeyRef { return (.secret, ref.name, ref.key, ref.optional) }
        return nil
    }

    /// Kubernetes' `$(VAR)` expansion (third_party/forked/golang/expansion): a defined variable is replaced,
    /// an undefined one stays as written, `$$` is a literal `$`, and any other `$` is kept.
    static func expand(_ input: String, _ lookup: (String) -> String?) -> String {
        let chars = Array(input)
        var out = ""
        var index = 0
        while index < chars.count {
            guard chars[index] == "$", index + 1 < chars.count else {
                out.append(chars[index])
                index += 1
                continue
            }
            let next = chars[index + 1]
            if next == "$" {
                out.append("$")
                index += 2
            } else if next == "(" {
                if let close = chars[(index + 2)...].firstIndex(of: ")") {
                    let name = String(chars[(index + 2)..<close])
                    out += lookup(name) ?? "$(\(name))"
                    index = close + 1
                } else {
                    out += "$("
                    index += 2
                }
            } else {
                out.append("$")
                out.append(next)
                index += 2
            }
        }
        return out
    }

    /// A `subPathExpr` expanded with the container's environment; a reference to an unset or empty variable
    /// fails as upstream's `ExpandContainerVolumeMounts`.
    static func expandSubPath(_ expression: String, environment: [String: String]) throws(ConfigFailure) -> String {
        var missing: Set<String> = []
        let expanded = expand(expression) { name in
            guard let value = environment[name], !value.isEmpty else {
                missing.insert(name)
                return ""
            }
            return value
        }
        if !missing.isEmpty { throw ConfigFailure(description: "missing value for \(missing.sorted().joined(separator: ", "))") }
        return expanded
    }
}
