import SkiffAPI

/// Kind-specific validation (upstream's `pkg/apis/*/validation`) for the kinds whose mistakes users
/// make most: pods and pod templates, workloads and their selectors, config data keys.
enum KindValidation {
    static func validateCreate(_ object: JSONValue, group: String, resource: String) -> [FieldProblem] {
        switch (group, resource) {
        case ("", "pods"):
            return PodSpecValidation.validate(object["spec"], at: "spec")
        case ("", "podtemplates"):
            return PodSpecValidation.validate(object["template"]?["spec"], at: "template.spec")
        case ("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets"), ("apps", "daemonsets"):
            return WorkloadValidation.validate(object, resource: resource)
        case ("", "replicationcontrollers"):
            return WorkloadValidation.validateReplicationController(object)
        case ("batch", "jobs"):
            return WorkloadValidation.validateJob(object)
        case ("batch", "cronjobs"):
            return WorkloadValidation.validateCronJob(object)
        case ("", "configmaps"), ("", "secrets"):
            return validateDataKeys(object)
        case ("autoscaling", "horizontalpodautoscalers"):
            return AutoscalingValidation.validate(object)
        default:
            return []
        }
    }

    static func validateUpdate(_ object: JSONValue, old: JSONValue, group: String, resource: String) -> [FieldProblem] {
        var problems = validateCreate(object, group: group, resource: resource)
            + ImmutabilityValidation.problems(object, old: old, group: group, resource: resource)
        switch (group, resource) {
        case ("", "pods"):
            problems += PodSpecValidation.validateUpdate(object["spec"], old: old["spec"])
        case ("", "configmaps"), ("", "secrets"):
            // Upstream's ValidateConfigMapUpdate / ValidateSecretUpdate (stringData is merged into data by now).
            if old["immutable"]?.boolValue == true {
                if object["immutable"]?.boolValue != true {
                    problems.append(.forbidden("immutable", "field is immutable when `immutable` is set"))
                }
                if (object["data"]?.objectValue ?? [:]) != (old["data"]?.objectValue ?? [:]) {
                    problems.append(.forbidden("data", "field is immutable when `immutable` is set"))
                }
                if resource == "configmaps", (object["binaryData"]?.objectValue ?? [:]) != (old["binaryData"]?.objectValue ?? [:]) {
                    problems.append(.forbidden("binaryData", "field is immutable when `immutable` is set"))
                }
            }
        default:
            break
        }
        return problems
    }

    /// ConfigMap and Secret keys: `IsConfigMapKey` (alphanumerics, '-', '_' or '.').
    static func validateDataKeys(_ object: JSONValue) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        var seen = Set<String>()
        for field in ["data", "binaryData", "stringData"] {
            for key in object[field]?.objectValue?.keys ?? [] {
                problems += FieldProblem.each(field, key, configMapKeyProblems)
                if field != "stringData", !seen.insert(key).inserted {
                    problems.append(.invalid(field, .string(key), "duplicate of key present in data"))
                }
            }
        }
        return problems
    }

    static func configMapKeyProblems(_ key: String) -> [String] {
        var problems: [String] = []
        if key.utf8.count > 253 { problems.append(NameValidation.maxLengthError(253)) }
        let valid = !key.isEmpty && key.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E
        }
        if !valid {
            problems.append(NameValidation.regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                                                      "[-._a-zA-Z0-9]+", "key.name", "KEY_NAME", "key-name"))
        }
        if key == "." || key == ".." { problems.append("must not be '\(key)'") } else if key.hasPrefix("..") { problems.append("must not start with '..'") }
        return problems
    }
}
