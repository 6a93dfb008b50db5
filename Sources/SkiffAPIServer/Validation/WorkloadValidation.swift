import SkiffAPI

/// Checks the workload kinds share (`pkg/apis/apps/validation`): replicas, a selector that selects the
/// template's own labels, the restart policy controllers need, and the template's pod spec.
enum WorkloadValidation {
    static func replicas(_ spec: JSONValue) -> [FieldProblem] {
        guard let replicas = spec["replicas"]?.intValue, replicas < 0 else { return [] }
        return [.invalid("spec.replicas", .int(replicas), "must be greater than or equal to 0")]
    }

    /// The pod spec of `spec.template`.
    static func template(_ spec: JSONValue) -> [FieldProblem] {
        PodSpecValidation.validate(spec["template"]?["spec"], at: "spec.template.spec")
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
