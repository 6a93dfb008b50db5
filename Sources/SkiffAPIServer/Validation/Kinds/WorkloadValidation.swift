import SkiffAPI

/// Workload validation: replicas, a selector that selects the template's own labels, and the
/// template's pod spec (`ValidateDeploymentSpec`, `ValidateReplicaSetSpec` and friends).
enum WorkloadValidation {
    static func validate(_ object: JSONValue, resource: String) -> [FieldProblem] {
        let spec = object["spec"] ?? [:]
        var problems: [FieldProblem] = []
        if resource != "daemonsets", let replicas = spec["replicas"]?.intValue, replicas < 0 {
            problems.append(.invalid("spec.replicas", .int(replicas), "must be greater than or equal to 0"))
        }
        problems += selectorMatchesTemplate(spec)
        if resource == "deployments" || resource == "replicasets" || resource == "daemonsets" {
            problems += alwaysRestart(spec)
        }
        if resource == "statefulsets", let serviceName = spec["serviceName"]?.stringValue, !serviceName.isEmpty {
            problems += FieldProblem.each("spec.serviceName", serviceName, NameValidation.dns1123Label)
        }
        if resource == "deployments", let strategy = spec["strategy"]?["type"]?.stringValue,
           !["Recreate", "RollingUpdate"].contains(strategy) {
            problems.append(.notSupported("spec.strategy.type", .string(strategy), ["Recreate", "RollingUpdate"]))
        }
        if resource == "deployments", spec["strategy"]?["type"]?.stringValue == "Recreate", spec["strategy"]?["rollingUpdate"] != nil {
            problems.append(.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"))
        }
        problems += PodSpecValidation.validate(spec["template"]?["spec"], at: "spec.template.spec")
        return problems
    }

    static func validateReplicationController(_ object: JSONValue) -> [FieldProblem] {
        let spec = object["spec"] ?? [:]
        var problems: [FieldProblem] = []
        if let replicas = spec["replicas"]?.intValue, replicas < 0 {
            problems.append(.invalid("spec.replicas", .int(replicas), "must be greater than or equal to 0"))
        }
        let selector = spec["selector"]?.objectValue ?? [:]
        if selector.isEmpty { problems.append(.required("spec.selector")) }
        let labels = spec["template"]?["metadata"]?["labels"]?.objectValue ?? [:]
        if !selector.isEmpty, !selector.allSatisfy({ labels[$0.key] == $0.value }) {
            problems.append(.invalid("spec.template.metadata.labels", spec["template"]?["metadata"]?["labels"],
                                     "`selector` does not match template `labels`"))
        }
        problems += alwaysRestart(spec)
        problems += PodSpecValidation.validate(spec["template"]?["spec"], at: "spec.template.spec")
        return problems
    }

    static func validateJob(_ object: JSONValue) -> [FieldProblem] {
        let spec = object["spec"] ?? [:]
        var problems: [FieldProblem] = []
        for field in ["parallelism", "completions", "backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"] {
            if let value = spec[field]?.intValue, value < 0 {
                problems.append(.invalid("spec.\(field)", .int(value), "must be greater than or equal to 0"))
            }
        }
        if let policy = spec["template"]?["spec"]?["restartPolicy"]?.stringValue, policy != "OnFailure" && policy != "Never" {
            problems.append(.notSupported("spec.template.spec.restartPolicy", .string(policy), ["OnFailure", "Never"]))
        }
        problems += PodSpecValidation.validate(spec["template"]?["spec"], at: "spec.template.spec")
        return problems
    }

    static func validateCronJob(_ object: JSONValue) -> [FieldProblem] {
        let spec = object["spec"] ?? [:]
        var problems: [FieldProblem] = []
        let schedule = spec["schedule"]?.stringValue ?? ""
        if schedule.isEmpty {
            problems.append(.required("spec.schedule"))
        } else if !schedule.hasPrefix("@") && schedule.split(separator: " ", omittingEmptySubsequences: true).count != 5 {
            problems.append(.invalid("spec.schedule", .string(schedule), "unparseable schedule: expected exactly 5 fields"))
        }
        if let policy = spec["concurrencyPolicy"]?.stringValue, !["Allow", "Forbid", "Replace"].contains(policy) {
            problems.append(.notSupported("spec.concurrencyPolicy", .string(policy), ["Allow", "Forbid", "Replace"]))
        }
        let template = spec["jobTemplate"]?["spec"]?["template"]?["spec"]
        problems += PodSpecValidation.validate(template, at: "spec.jobTemplate.spec.template.spec")
        return problems
    }

    /// A required, non-empty selector that matches the template's labels.
    static func selectorMatchesTemplate(_ spec: JSONValue) -> [FieldProblem] {
        guard let selectorObject = spec["selector"], selectorObject != .null else { return [.required("spec.selector")] }
        let selector: LabelSelector
        do {
            selector = try LabelSelector(object: selectorObject)
        } catch {
            return [.invalid("spec.selector", selectorObject, error.message)]
        }
        if selector.isEverything || selector.requirements.isEmpty {
            return [.invalid("spec.selector", selectorObject, "empty selector is invalid for deployment")]
        }
        var labels: [String: String] = [:]
        for (key, value) in spec["template"]?["metadata"]?["labels"]?.objectValue ?? [:] {
            if let text = value.stringValue { labels[key] = text }
        }
        if !selector.matches(labels) {
            return [.invalid("spec.template.metadata.labels", spec["template"]?["metadata"]?["labels"],
                             "`selector` does not match template `labels`")]
        }
        return []
    }

    static func alwaysRestart(_ spec: JSONValue) -> [FieldProblem] {
        if let policy = spec["template"]?["spec"]?["restartPolicy"]?.stringValue, policy != "Always" {
            return [.notSupported("spec.template.spec.restartPolicy", .string(policy), ["Always"])]
        }
        return []
    }
}
