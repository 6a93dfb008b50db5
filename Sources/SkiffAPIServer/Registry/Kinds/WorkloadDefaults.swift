import SkiffAPI

/// A strategy made of a defaulting function plus the generic behaviour: used for the kinds whose
/// specialities are their defaults (workloads, services' siblings, config objects).
struct DefaultingStrategy: ResourceStrategy {
    var tracksGeneration: Bool = false
    var hasStatusSubresource: Bool = false
    var allowCreateOnUpdate: Bool = false
    var defaultPropagationPolicy: String = "Background"
    var defaults: @Sendable (inout JSONValue) -> Void = { _ in }

    func prepareForCreate(_ object: inout JSONValue, context: StrategyContext) {
        if hasStatusSubresource { object["status"] = nil }
        defaults(&object)
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue, context: StrategyContext) {
        if hasStatusSubresource { object["status"] = old["status"] }
        defaults(&object)
    }
}

/// Upstream's defaults for the workload kinds (apps/v1, batch/v1 and core/v1 defaults.go).
enum WorkloadDefaults {
    static func deployment(_ object: inout JSONValue) {
        var spec = object["spec"] ?? [:]
        set(&spec, "replicas", 1)
        if spec["strategy"]?["type"] == nil { spec.setValue("RollingUpdate", at: ["strategy", "type"]) }
        if spec["strategy"]?["type"]?.stringValue == "RollingUpdate" {
            if spec["strategy"]?["rollingUpdate"]?["maxUnavailable"] == nil {
                spec.setValue("25%", at: ["strategy", "rollingUpdate", "maxUnavailable"])
            }
            if spec["strategy"]?["rollingUpdate"]?["maxSurge"] == nil {
                spec.setValue("25%", at: ["strategy", "rollingUpdate", "maxSurge"])
            }
        }
        set(&spec, "revisionHistoryLimit", 10)
        set(&spec, "progressDeadlineSeconds", 600)
        object["spec"] = spec
        PodDefaults.applyToTemplate(&object)
    }

    static func replicaSet(_ object: inout JSONValue) {
        object.setDefault(1, at: ["spec", "replicas"])
        PodDefaults.applyToTemplate(&object)
    }

    static func replicationController(_ object: inout JSONValue) {
        object.setDefault(1, at: ["spec", "replicas"])
        // An RC without a selector selects its template's labels, and labels itself with them.
        if object["spec"]?["selector"] == nil, let labels = object["spec"]?["template"]?["metadata"]?["labels"] {
            object.setValue(labels, at: ["spec", "selector"])
        }
        if object["metadata"]?["labels"] == nil, let labels = object["spec"]?["template"]?["metadata"]?["labels"] {
            object.setValue(labels, at: ["metadata", "labels"])
        }
        PodDefaults.applyToTemplate(&object)
    }

    static func statefulSet(_ object: inout JSONValue) {
        var spec = object["spec"] ?? [:]
        set(&spec, "replicas", 1)
        set(&spec, "podManagementPolicy", "OrderedReady")
        if spec["updateStrategy"]?["type"] == nil { spec.setValue("RollingUpdate", at: ["updateStrategy", "type"]) }
        if spec["updateStrategy"]?["type"]?.stringValue == "RollingUpdate", spec["updateStrategy"]?["rollingUpdate"]?["partition"] == nil {
            spec.setValue(0, at: ["updateStrategy", "rollingUpdate", "partition"])
        }
        set(&spec, "revisionHistoryLimit", 10)
        if spec["persistentVolumeClaimRetentionPolicy"] == nil {
            spec["persistentVolumeClaimRetentionPolicy"] = ["whenDeleted": "Retain", "whenScaled": "Retain"]
        }
        object["spec"] = spec
        PodDefaults.applyToTemplate(&object)
    }

    static func daemonSet(_ object: inout JSONValue) {
        var spec = object["spec"] ?? [:]
        if spec["updateStrategy"]?["type"] == nil { spec.setValue("RollingUpdate", at: ["updateStrategy", "type"]) }
        if spec["updateStrategy"]?["type"]?.stringValue == "RollingUpdate" {
            if spec["updateStrategy"]?["rollingUpdate"]?["maxUnavailable"] == nil {
                spec.setValue(1, at: ["updateStrategy", "rollingUpdate", "maxUnavailable"])
            }
            if spec["updateStrategy"]?["rollingUpdate"]?["maxSurge"] == nil {
                spec.setValue(0, at: ["updateStrategy", "rollingUpdate", "maxSurge"])
            }
        }
        set(&spec, "revisionHistoryLimit", 10)
        object["spec"] = spec
        PodDefaults.applyToTemplate(&object)
    }

    static func job(_ object: inout JSONValue) {
        var spec = object["spec"] ?? [:]
        let completionMode = spec["completionMode"]?.stringValue ?? "NonIndexed"
        set(&spec, "completionMode", .string(completionMode))
        if spec["completions"] == nil && spec["parallelism"] == nil {
            spec["completions"] = 1
            spec["parallelism"] = 1
        }
        set(&spec, "parallelism", 1)
        set(&spec, "backoffLimit", completionMode == "Indexed" && spec["backoffLimitPerIndex"] != nil ? .int(Int64(Int32.max)) : 6)
        set(&spec, "suspend", false)
        if spec["podFailurePolicy"] == nil { set(&spec, "podReplacementPolicy", "TerminatingOrFailed") }
        object["spec"] = spec
        PodDefaults.applyToTemplate(&object)
    }

    /// The selector and labels a Job gets on create unless `manualSelector` (upstream's `generateSelector`).
    static func jobSelector(_ object: inout JSONValue) {
        guard object["spec"]?["manualSelector"]?.boolValue != true else { return }
        let uid = object["metadata"]?["uid"]?.stringValue ?? ""
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        for (key, value) in [("batch.kubernetes.io/controller-uid", uid), ("batch.kubernetes.io/job-name", name),
                             ("controller-uid", uid), ("job-name", name)] {
            object.setDefault(.string(value), at: ["spec", "template", "metadata", "labels", key])
        }
        object.setDefault(.string(uid), at: ["spec", "selector", "matchLabels", "batch.kubernetes.io/controller-uid"])
    }

    static func cronJob(_ object: inout JSONValue) {
        var spec = object["spec"] ?? [:]
        set(&spec, "concurrencyPolicy", "Allow")
        set(&spec, "suspend", false)
        set(&spec, "successfulJobsHistoryLimit", 3)
        set(&spec, "failedJobsHistoryLimit", 1)
        object["spec"] = spec
        if var jobSpec = object["spec"]?["jobTemplate"]?["spec"] {
            var wrapper: JSONValue = ["spec": jobSpec]
            job(&wrapper)
            jobSpec = wrapper["spec"] ?? jobSpec
            object.setValue(jobSpec, at: ["spec", "jobTemplate", "spec"])
        }
    }

    static func set(_ object: inout JSONValue, _ key: String, _ value: JSONValue) {
        if object[key] == nil { object[key] = value }
    }
}

extension JSONValue {
    /// Sets the value at `path` unless something is there already.
    mutating func setDefault(_ value: JSONValue, at path: [String]) {
        if self.value(at: path) == nil { setValue(value, at: path) }
    }
}
