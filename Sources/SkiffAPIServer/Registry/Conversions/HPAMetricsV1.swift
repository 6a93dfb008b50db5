import SkiffAPI

/// autoscaling/v2 metric specs and statuses in the older shape `autoscaling/v1`'s annotations carry
/// them in (upstream's `autoscalingv1.MetricSpec`/`MetricStatus`: `targetAverageValue`, `metricName`, …).
/// Members are copied only when present, so v2 → v1 → v2 gives back exactly what was stored.
enum HPAMetricsV1 {
    static func specToV1(_ metric: JSONValue) -> JSONValue {
        var out: JSONObject = ["type": metric["type"] ?? ""]
        if let source = present(metric["object"]) {
            var v: JSONObject = ["target": source["describedObject"] ?? [:], "metricName": source["metric"]?["name"] ?? ""]
            copy(source["target"]?["value"], to: "targetValue", in: &v)
            copy(source["metric"]?["selector"], to: "selector", in: &v)
            copy(source["target"]?["averageValue"], to: "averageValue", in: &v)
            out["object"] = .object(v)
        }
        if let source = present(metric["pods"]) {
            var v: JSONObject = ["metricName": source["metric"]?["name"] ?? ""]
            copy(source["target"]?["averageValue"], to: "targetAverageValue", in: &v)
            copy(source["metric"]?["selector"], to: "selector", in: &v)
            out["pods"] = .object(v)
        }
        for key in ["resource", "containerResource"] {
            guard let source = present(metric[key]) else { continue }
            var v: JSONObject = ["name": source["name"] ?? ""]
            copy(source["target"]?["averageUtilization"], to: "targetAverageUtilization", in: &v)
            copy(source["target"]?["averageValue"], to: "targetAverageValue", in: &v)
            copy(source["container"], to: "container", in: &v)
            out[key] = .object(v)
        }
        if let source = present(metric["external"]) {
            var v: JSONObject = ["metricName": source["metric"]?["name"] ?? ""]
            copy(source["metric"]?["selector"], to: "metricSelector", in: &v)
            copy(source["target"]?["value"], to: "targetValue", in: &v)
            copy(source["target"]?["averageValue"], to: "targetAverageValue", in: &v)
            out["external"] = .object(v)
        }
        return .object(out)
    }

    static func specFromV1(_ metric: JSONValue) -> JSONValue {
        var out: JSONObject = ["type": metric["type"] ?? ""]
        if let source = present(metric["object"]) {
            var target: JSONObject = ["type": present(source["averageValue"]) == nil ? "Value" : "AverageValue"]
            copy(source["targetValue"], to: "value", in: &target)
            copy(source["averageValue"], to: "averageValue", in: &target)
            out["object"] = ["describedObject": source["target"] ?? [:], "metric": identifier(source, "selector"),
                             "target": .object(target)]
        }
        if let source = present(metric["pods"]) {
            var target: JSONObject = ["type": "AverageValue"]
            copy(source["targetAverageValue"], to: "averageValue", in: &target)
            out["pods"] = ["metric": identifier(source, "selector"), "target": .object(target)]
        }
        for key in ["resource", "containerResource"] {
            guard let source = present(metric[key]) else { continue }
            var target: JSONObject = ["type": present(source["targetAverageUtilization"]) == nil ? "AverageValue" : "Utilization"]
            copy(source["targetAverageValue"], to: "averageValue", in: &target)
            copy(source["targetAverageUtilization"], to: "averageUtilization", in: &target)
            var v: JSONObject = ["name": source["name"] ?? ""]
            copy(source["container"], to: "container", in: &v)
            v["target"] = .object(target)
            out[key] = .object(v)
        }
        if let source = present(metric["external"]) {
            var target: JSONObject = ["type": present(source["targetValue"]) == nil ? "AverageValue" : "Value"]
            copy(source["targetValue"], to: "value", in: &target)
            copy(source["targetAverageValue"], to: "averageValue", in: &target)
            out["external"] = ["metric": identifier(source, "metricSelector"), "target": .object(target)]
        }
        return .object(out)
    }

    static func statusToV1(_ metric: JSONValue) -> JSONValue {
        var out: JSONObject = ["type": metric["type"] ?? ""]
        if let source = present(metric["object"]) {
            var v: JSONObject = ["target": source["describedObject"] ?? [:], "metricName": source["metric"]?["name"] ?? ""]
            copy(source["current"]?["value"], to: "currentValue", in: &v)
            copy(source["metric"]?["selector"], to: "selector", in: &v)
            copy(source["current"]?["averageValue"], to: "averageValue", in: &v)
            out["object"] = .object(v)
        }
        if let source = present(metric["pods"]) {
            var v: JSONObject = ["metricName": source["metric"]?["name"] ?? ""]
            copy(source["current"]?["averageValue"], to: "currentAverageValue", in: &v)
            copy(source["metric"]?["selector"], to: "selector", in: &v)
            out["pods"] = .object(v)
        }
        for key in ["resource", "containerResource"] {
            guard let source = present(metric[key]) else { continue }
            var v: JSONObject = ["name": source["name"] ?? ""]
            copy(source["current"]?["averageUtilization"], to: "currentAverageUtilization", in: &v)
            copy(source["current"]?["averageValue"], to: "currentAverageValue", in: &v)
            copy(source["container"], to: "container", in: &v)
            out[key] = .object(v)
        }
        if let source = present(metric["external"]) {
            var v: JSONObject = ["metricName": source["metric"]?["name"] ?? ""]
            copy(source["metric"]?["selector"], to: "metricSelector", in: &v)
            copy(source["current"]?["value"], to: "currentValue", in: &v)
            copy(source["current"]?["averageValue"], to: "currentAverageValue", in: &v)
            out["external"] = .object(v)
        }
        return .object(out)
    }

    static func statusFromV1(_ metric: JSONValue) -> JSONValue {
        var out: JSONObject = ["type": metric["type"] ?? ""]
        if let source = present(metric["object"]) {
            var current: JSONObject = [:]
            copy(source["currentValue"], to: "value", in: &current)
            copy(source["averageValue"], to: "averageValue", in: &current)
            out["object"] = ["metric": identifier(source, "selector"), "current": .object(current),
                             "describedObject": source["target"] ?? [:]]
        }
        if let source = present(metric["pods"]) {
            var current: JSONObject = [:]
            copy(source["currentAverageValue"], to: "averageValue", in: &current)
            out["pods"] = ["metric": identifier(source, "selector"), "current": .object(current)]
        }
        for key in ["resource", "containerResource"] {
            guard let source = present(metric[key]) else { continue }
            var current: JSONObject = [:]
            copy(source["currentAverageValue"], to: "averageValue", in: &current)
            copy(source["currentAverageUtilization"], to: "averageUtilization", in: &current)
            var v: JSONObject = ["name": source["name"] ?? ""]
            copy(source["container"], to: "container", in: &v)
            v["current"] = .object(current)
            out[key] = .object(v)
        }
        if let source = present(metric["external"]) {
            var current: JSONObject = [:]
            copy(source["currentValue"], to: "value", in: &current)
            copy(source["currentAverageValue"], to: "averageValue", in: &current)
            out["external"] = ["metric": identifier(source, "metricSelector"), "current": .object(current)]
        }
        return .object(out)
    }

    static func present(_ value: JSONValue?) -> JSONValue? {
        guard let value, !value.isNull else { return nil }
        return value
    }

    static func copy(_ value: JSONValue?, to key: String, in object: inout JSONObject) {
        if let value = present(value) { object[key] = value }
    }

    /// v2's `MetricIdentifier` from a v1 source's `metricName` and selector member.
    static func identifier(_ source: JSONValue, _ selectorKey: String) -> JSONValue {
        var id: JSONObject = ["name": source["metricName"] ?? ""]
        copy(source[selectorKey], to: "selector", in: &id)
        return .object(id)
    }
}

/// The behavior annotation as upstream writes it: `json.Marshal` of the internal Go type, which has
/// no json tags, so its keys are Go field names (`ScaleUp`, `StabilizationWindowSeconds`, …); read
/// back case-insensitively as `encoding/json` matches keys.
enum HPABehaviorAnnotation {
    static func encode(_ behavior: JSONValue) -> JSONValue {
        func rules(_ value: JSONValue?) -> JSONValue {
            guard let value = HPAMetricsV1.present(value) else { return .null }
            var out: JSONObject = ["StabilizationWindowSeconds": value["stabilizationWindowSeconds"] ?? .null,
                                   "SelectPolicy": value["selectPolicy"] ?? .null]
            if let policies = value["policies"]?.arrayValue {
                out["Policies"] = .array(policies.map {
                    ["Type": $0["type"] ?? "", "Value": $0["value"] ?? 0, "PeriodSeconds": $0["periodSeconds"] ?? 0]
                })
            } else {
                out["Policies"] = .null
            }
            if let tolerance = HPAMetricsV1.present(value["tolerance"]) { out["Tolerance"] = tolerance }
            return .object(out)
        }
        return ["ScaleUp": rules(behavior["scaleUp"]), "ScaleDown": rules(behavior["scaleDown"])]
    }

    /// The v2 behavior; `nil` when the annotation is not an object or holds no rules.
    static func decode(_ annotation: JSONValue) -> JSONValue? {
        guard case .object = annotation else { return nil }
        func rules(_ value: JSONValue?) -> JSONValue? {
            guard let value, case .object = value else { return nil }
            var out: JSONObject = [:]
            HPAMetricsV1.copy(member(value, "StabilizationWindowSeconds"), to: "stabilizationWindowSeconds", in: &out)
            HPAMetricsV1.copy(member(value, "SelectPolicy"), to: "selectPolicy", in: &out)
            if let policies = member(value, "Policies")?.arrayValue {
                out["policies"] = .array(policies.map {
                    ["type": member($0, "Type") ?? "", "value": member($0, "Value") ?? 0,
                     "periodSeconds": member($0, "PeriodSeconds") ?? 0]
                })
            }
            HPAMetricsV1.copy(member(value, "Tolerance"), to: "tolerance", in: &out)
            return .object(out)
        }
        var out: JSONObject = [:]
        if let up = rules(member(annotation, "ScaleUp")) { out["scaleUp"] = up }
        if let down = rules(member(annotation, "ScaleDown")) { out["scaleDown"] = down }
        return out.isEmpty ? nil : .object(out)
    }

    /// A member matched as Go's decoder matches keys: exactly, else ignoring case.
    static func member(_ object: JSONValue, _ name: String) -> JSONValue? {
        guard let members = object.objectValue else { return nil }
        if let exact = members[name] { return exact }
        return members.first { $0.key.lowercased() == name.lowercased() }?.value
    }
}
