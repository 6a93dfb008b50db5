import Foundation
import SkiffAPI

/// HorizontalPodAutoscalers (stored as autoscaling/v2): validation and the table.
enum HorizontalPodAutoscalerKind {
    static let definition = KindDefinition(group: "autoscaling", resource: "horizontalpodautoscalers") {
        $0.strategy = { _ in DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true) }
        $0.table = table
        $0.validate = AutoscalingValidation.validate
    }

    private typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Reference"), P.column("Targets"), P.column("MinPods"), P.column("MaxPods", "integer"),
                  P.column("Replicas", "integer"), P.ageColumn],
        row: { hpa, now in
            let spec = hpa["spec"] ?? [:]
            let ref = spec["scaleTargetRef"] ?? [:]
            let reference = "\(ref["kind"]?.stringValue ?? "")/\(ref["name"]?.stringValue ?? "")"
            let min = spec["minReplicas"]?.intValue.map { JSONValue.string(String($0)) } ?? "<unset>"
            return [P.name(hpa), .string(reference), .string(targets(hpa)), min, P.int(spec["maxReplicas"]),
                    P.int(hpa["status"]?["currentReplicas"]), P.age(hpa, now)]
        })

    /// "cpu: 40%/80%, memory: <unknown>/500Mi", at most three, as kubectl shows them.
    static func targets(_ hpa: JSONValue) -> String {
        let metrics = hpa["spec"]?["metrics"]?.arrayValue ?? []
        if metrics.isEmpty { return "<none>" }
        let current = hpa["status"]?["currentMetrics"]?.arrayValue ?? []
        var parts: [String] = []
        for metric in metrics.prefix(3) {
            let type = metric["type"]?.stringValue ?? ""
            let member = AutoscalingValidation.sourceMembers[type] ?? "resource"
            let source = metric[member] ?? [:]
            let target = source["target"] ?? [:]
            let name = source["name"]?.stringValue ?? source["metric"]?["name"]?.stringValue ?? ""
            let status = current.first {
                $0["type"]?.stringValue == type
                    && ($0[member]?["name"]?.stringValue ?? $0[member]?["metric"]?["name"]?.stringValue) == name
            }?[member]?["current"]
            let wanted: String
            let have: String?
            if let utilization = target["averageUtilization"]?.intValue {
                wanted = "\(utilization)%"
                have = status?["averageUtilization"]?.intValue.map { "\($0)%" }
            } else if let average = target["averageValue"]?.stringValue {
                wanted = average
                have = status?["averageValue"]?.stringValue
            } else {
                wanted = target["value"]?.stringValue ?? "<unset>"
                have = status?["value"]?.stringValue
            }
            parts.append("\(name.isEmpty ? "" : name + ": ")\(have ?? "<unknown>")/\(wanted)")
        }
        if metrics.count > 3 { parts[parts.count - 1] += " + \(metrics.count - 3) more..." }
        return parts.joined(separator: ", ")
    }
}
