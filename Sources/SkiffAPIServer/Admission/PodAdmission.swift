import SkiffAPI

/// DefaultTolerationSeconds: pods tolerate `node.kubernetes.io/not-ready` and `unreachable` (NoExecute)
/// for a while unless they say otherwise, so a node's short absence does not evict them at once.
struct DefaultTolerationSeconds: AdmissionPlugin {
    var name: String { "DefaultTolerationSeconds" }
    var notReadySeconds: Int64 = 300
    var unreachableSeconds: Int64 = 300

    func admit(_ attributes: inout AdmissionAttributes) async throws {
        guard attributes.operation == .create, attributes.isCore("pods") else { return }
        var spec = attributes.object["spec"] ?? [:]
        var tolerations = spec["tolerations"]?.arrayValue ?? []
        func tolerates(_ key: String) -> Bool {
            tolerations.contains { t in
                let effect = t["effect"]?.stringValue ?? ""
                let op = t["operator"]?.stringValue ?? "Equal"
                let k = t["key"]?.stringValue ?? ""
                return (effect.isEmpty || effect == "NoExecute") && (k == key || (k.isEmpty && op == "Exists"))
            }
        }
        for (key, seconds) in [("node.kubernetes.io/not-ready", notReadySeconds),
                               ("node.kubernetes.io/unreachable", unreachableSeconds)] where !tolerates(key) {
            tolerations.append(["key": .string(key), "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": .int(seconds)])
        }
        spec["tolerations"] = .array(tolerations)
        attributes.object["spec"] = spec
    }
}

/// ServiceAccount: a pod runs as its namespace's `default` account unless it names one (and the
/// deprecated `serviceAccount` field mirrors the name).
struct ServiceAccountAdmission: AdmissionPlugin {
    var name: String { "ServiceAccount" }

    func admit(_ attributes: inout AdmissionAttributes) async throws {
        guard attributes.operation == .create, attributes.isCore("pods") else { return }
        var spec = attributes.object["spec"] ?? [:]
        if (spec["serviceAccountName"]?.stringValue ?? "").isEmpty {
            spec["serviceAccountName"] = .string(spec["serviceAccount"]?.stringValue ?? "default")
        }
        if (spec["serviceAccount"]?.stringValue ?? "").isEmpty { spec["serviceAccount"] = spec["serviceAccountName"] }
        attributes.object["spec"] = spec
    }
}

/// Priority: a pod without a priority class gets priority 0 and the default preemption policy.
struct PriorityAdmission: AdmissionPlugin {
    var name: String { "Priority" }

    func admit(_ attributes: inout AdmissionAttributes) async throws {
        guard attributes.operation == .create, attributes.isCore("pods") else { return }
        var spec = attributes.object["spec"] ?? [:]
        if spec["priority"] == nil, (spec["priorityClassName"]?.stringValue ?? "").isEmpty { spec["priority"] = 0 }
        if spec["preemptionPolicy"] == nil { spec["preemptionPolicy"] = "PreemptLowerPriority" }
        attributes.object["spec"] = spec
    }
}
