import SkiffAPI

/// `autoscaling/v1` HorizontalPodAutoscalers served from `autoscaling/v2` storage, as upstream's
/// `pkg/apis/autoscaling/v1/conversion.go` converts them: v1's CPU target is v2's CPU utilization
/// metric, and everything else v2 has (other metrics, current metrics, conditions, behavior) travels
/// in `autoscaling.alpha.kubernetes.io/*` annotations so that a v1 read-modify-write loses nothing.
struct HorizontalPodAutoscalerV1Converter: VersionConverter {
    static let metricsAnnotation = "autoscaling.alpha.kubernetes.io/metrics"
    static let currentMetricsAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics"
    static let conditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions"
    static let behaviorAnnotation = "autoscaling.alpha.kubernetes.io/behavior"
    /// Every annotation the conversion owns (upstream's `DropRoundTripHorizontalPodAutoscalerAnnotations`).
    static let roundTripAnnotations = [metricsAnnotation, currentMetricsAnnotation, conditionsAnnotation, behaviorAnnotation,
                                       "autoscaling.alpha.kubernetes.io/scale-up-tolerance",
                                       "autoscaling.alpha.kubernetes.io/scale-down-tolerance"]
    /// v1's implicit target when neither a CPU target nor other metrics are given.
    static let defaultCPUUtilization: Int64 = 80

    var fieldLabels: [String: String] { ["metadata.name": "metadata.name", "metadata.namespace": "metadata.namespace"] }

    // MARK: - v2 → v1

    func fromStorage(_ v2: JSONValue) -> JSONValue {
        var out = v2
        Self.dropRoundTripAnnotations(&out)
        let spec = v2["spec"] ?? [:]
        let status = v2["status"] ?? [:]
        let metrics = spec["metrics"]?.arrayValue ?? []
        let cpu = Self.cpuTargetIndex(metrics)

        var v1Spec: JSONObject = ["scaleTargetRef": spec["scaleTargetRef"] ?? ["kind": "", "name": ""]]
        if let min = spec["minReplicas"] { v1Spec["minReplicas"] = min }
        v1Spec["maxReplicas"] = spec["maxReplicas"] ?? 0
        if let cpu, let target = metrics[cpu]["resource"]?["target"]?["averageUtilization"] {
            v1Spec["targetCPUUtilizationPercentage"] = target
        }
        out["spec"] = .object(v1Spec)

        var v1Status: JSONObject = [:]
        if let generation = status["observedGeneration"] { v1Status["observedGeneration"] = generation }
        if let time = status["lastScaleTime"] { v1Status["lastScaleTime"] = time }
        v1Status["currentReplicas"] = status["currentReplicas"] ?? 0
        v1Status["desiredReplicas"] = status["desiredReplicas"] ?? 0
        let current = status["currentMetrics"]?.arrayValue ?? []
        for metric in current where Self.isCPU(metric) {
            if let utilization = metric["resource"]?["current"]?["averageUtilization"], !utilization.isNull {
                v1Status["currentCPUUtilizationPercentage"] = utilization
            }
        }
        out["status"] = .object(v1Status)

        var annotations: [(String, JSONValue)] = []
        let others = metrics.indices.filter { $0 != cpu }.map { HPAMetricsV1.specToV1(metrics[$0]) }
        if !others.isEmpty { annotations.append((Self.metricsAnnotation, .array(others))) }
        if !current.isEmpty { annotations.append((Self.currentMetricsAnnotation, .array(current.map(HPAMetricsV1.statusToV1)))) }
        if let behavior = spec["behavior"], !behavior.isNull {
            annotations.append((Self.behaviorAnnotation, HPABehaviorAnnotation.encode(behavior)))
        }
        if let conditions = status["conditions"]?.arrayValue, !conditions.isEmpty {
            annotations.append((Self.conditionsAnnotation, .array(conditions)))
        }
        for (key, value) in annotations {
            out.setValue(.string(value.jsonString), at: ["metadata", "annotations", key])
        }
        return out
    }

    // MARK: - v1 → v2

    func toStorage(_ v1: JSONValue) -> JSONValue {
        var out = v1
        let spec = v1["spec"] ?? [:]
        let status = v1["status"]

        var v2Spec: JSONObject = ["scaleTargetRef": spec["scaleTargetRef"] ?? ["kind": "", "name": ""]]
        // v1's defaulting: minReplicas 1.
        v2Spec["minReplicas"] = spec["minReplicas"].flatMap { $0.isNull ? nil : $0 } ?? 1
        v2Spec["maxReplicas"] = spec["maxReplicas"] ?? 0
        var metrics: [JSONValue] = []
        if let others = Self.annotation(v1, Self.metricsAnnotation)?.arrayValue {
            metrics = others.map(HPAMetricsV1.specFromV1)
        }
        if let target = spec["targetCPUUtilizationPercentage"], !target.isNull {
            metrics.append(Self.cpuMetric(target))
        }
        if metrics.isEmpty { metrics = [Self.cpuMetric(.int(Self.defaultCPUUtilization))] }
        v2Spec["metrics"] = .array(metrics)
        if let raw = Self.annotation(v1, Self.behaviorAnnotation), let behavior = HPABehaviorAnnotation.decode(raw) {
            v2Spec["behavior"] = behavior
        }
        out["spec"] = .object(v2Spec)

        let currentMetrics = Self.annotation(v1, Self.currentMetricsAnnotation)?.arrayValue
        let conditions = Self.annotation(v1, Self.conditionsAnnotation)?.arrayValue
        if status != nil || currentMetrics != nil || conditions != nil {
            let status = status ?? [:]
            var v2Status: JSONObject = [:]
            if let generation = status["observedGeneration"] { v2Status["observedGeneration"] = generation }
            if let time = status["lastScaleTime"] { v2Status["lastScaleTime"] = time }
            v2Status["currentReplicas"] = status["currentReplicas"] ?? 0
            v2Status["desiredReplicas"] = status["desiredReplicas"] ?? 0
            if let currentMetrics {
                // The annotation has more than the percentage (the raw values): it wins.
                v2Status["currentMetrics"] = .array(currentMetrics.map(HPAMetricsV1.statusFromV1))
            } else if let utilization = status["currentCPUUtilizationPercentage"], !utilization.isNull {
                v2Status["currentMetrics"] = [["type": "Resource", "resource": ["name": "cpu", "current": ["averageUtilization": utilization]]]]
            }
            if let conditions { v2Status["conditions"] = .array(conditions) }
            out["status"] = .object(v2Status)
        }
        Self.dropRoundTripAnnotations(&out)
        return out
    }

    /// Problems in the v2 metric v1 shows as its CPU target are named by v1's field; those in the
    /// other metrics or the behavior by the annotation that carries them.
    func servedPath(_ storagePath: String, in object: JSONValue) -> String {
        let metrics = object["spec"]?["metrics"]?.arrayValue ?? []
        if let cpu = Self.cpuTargetIndex(metrics) {
            let cpuPath = "spec.metrics[\(cpu)]"
            if storagePath.hasPrefix(cpuPath + ".resource.target") { return "spec.targetCPUUtilizationPercentage" }
        }
        if storagePath == "spec.metrics" || storagePath.hasPrefix("spec.metrics[") {
            return "metadata.annotations[\(Self.metricsAnnotation)]"
        }
        if storagePath.hasPrefix("spec.behavior") { return "metadata.annotations[\(Self.behaviorAnnotation)]" }
        return storagePath
    }

    // MARK: - helpers

    static func isCPU(_ metric: JSONValue) -> Bool {
        metric["type"]?.stringValue == "Resource" && metric["resource"]?["name"]?.stringValue == "cpu"
    }

    /// The metric v1's `targetCPUUtilizationPercentage` stands for: the first CPU resource metric, when it
    /// targets a utilization (upstream stops at the first CPU metric).
    static func cpuTargetIndex(_ metrics: [JSONValue]) -> Int? {
        guard let index = metrics.firstIndex(where: isCPU) else { return nil }
        guard let utilization = metrics[index]["resource"]?["target"]?["averageUtilization"], !utilization.isNull else { return nil }
        return index
    }

    static func cpuMetric(_ utilization: JSONValue) -> JSONValue {
        ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": utilization]]]
    }

    /// An annotation holding JSON, parsed; `nil` when missing or not JSON (upstream moves only
    /// well-formed data from annotations to fields).
    static func annotation(_ object: JSONValue, _ key: String) -> JSONValue? {
        guard let text = object["metadata"]?["annotations"]?[key]?.stringValue else { return nil }
        return try? JSONValue(parsing: Array(text.utf8))
    }

    static func dropRoundTripAnnotations(_ object: inout JSONValue) {
        guard var annotations = object["metadata"]?["annotations"]?.objectValue,
              roundTripAnnotations.contains(where: { annotations[$0] != nil })
        else { return }
        for key in roundTripAnnotations { _ = annotations.removeValue(forKey: key) }
        object.setValue(annotations.isEmpty ? nil : .object(annotations), at: ["metadata", "annotations"])
    }
}
