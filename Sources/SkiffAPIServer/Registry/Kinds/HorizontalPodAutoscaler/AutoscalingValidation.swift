import SkiffAPI

/// HorizontalPodAutoscaler checks (upstream's `pkg/apis/autoscaling/validation`), on the stored
/// autoscaling/v2 form; autoscaling/v1 requests see the problems under v1's field names.
enum AutoscalingValidation {
    static func validate(_ object: JSONValue) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        let spec = object["spec"] ?? [:]
        let min = spec["minReplicas"].flatMap { $0.isNull ? nil : $0 }
        let max = spec["maxReplicas"]?.intValue ?? 0
        if let min, (min.intValue ?? 0) < 1 {
            problems.append(.invalid("spec.minReplicas", min, "must be greater than or equal to 1"))
        }
        if max < 1 {
            problems.append(.invalid("spec.maxReplicas", .int(max), "must be greater than 0"))
        }
        if let min = min?.intValue, max < min {
            problems.append(.invalid("spec.maxReplicas", .int(max), "must be greater than or equal to `minReplicas`"))
        }
        let ref = spec["scaleTargetRef"] ?? [:]
        for key in ["kind", "name"] where (ref[key]?.stringValue ?? "").isEmpty {
            problems.append(.required("spec.scaleTargetRef.\(key)"))
        }
        for (index, metric) in (spec["metrics"]?.arrayValue ?? []).enumerated() {
            problems += validateMetric(metric, at: "spec.metrics[\(index)]")
        }
        return problems
    }

    static let sourceMembers = ["Object": "object", "Pods": "pods", "Resource": "resource",
                                "ContainerResource": "containerResource", "External": "external"]

    static func validateMetric(_ metric: JSONValue, at path: String) -> [FieldProblem] {
        let type = metric["type"]?.stringValue ?? ""
        guard let member = sourceMembers[type] else {
            if type.isEmpty { return [.required("\(path).type", "must specify a metric source type")] }
            return [.notSupported("\(path).type", .string(type), ["ContainerResource", "External", "Object", "Pods", "Resource"])]
        }
        guard let source = metric[member], !source.isNull else {
            return [.required("\(path).\(member)", "must populate information for the given metric source")]
        }
        var problems: [FieldProblem] = []
        let target = source["target"] ?? [:]
        if member == "resource" || member == "containerResource" {
            if (source["name"]?.stringValue ?? "").isEmpty { problems.append(.required("\(path).\(member).name", "must specify a resource name")) }
            if target["averageUtilization"] == nil && target["averageValue"] == nil {
                problems.append(.required("\(path).\(member).target.averageUtilization",
                                          "must set either a target raw value or a target utilization"))
            }
        }
        problems += validateTarget(target, at: "\(path).\(member).target")
        return problems
    }

    static func validateTarget(_ target: JSONValue, at path: String) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        let type = target["type"]?.stringValue ?? ""
        if type.isEmpty { problems.append(.required("\(path).type", "must specify a metric target type")) }
        if !["Utilization", "Value", "AverageValue"].contains(type) {
            problems.append(.invalid("\(path).type", .string(type), "must be either Utilization, Value, or AverageValue"))
        }
        if let utilization = target["averageUtilization"], !utilization.isNull, (utilization.intValue ?? 0) < 1 {
            problems.append(.invalid("\(path).averageUtilization", utilization, "must be greater than 0"))
        }
        return problems
    }
}
