import Foundation
import SkiffAPI

/// Pods: defaults, status only through `pods/status`, graceful deletion for pods bound to a node
/// (upstream's `pkg/registry/core/pod/strategy.go`).
struct PodStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }

    func prepareForCreate(_ object: inout JSONValue, context: StrategyContext) {
        var spec = object["spec"] ?? [:]
        PodDefaults.applyToPodSpec(&spec)
        object["spec"] = spec
        object["status"] = ["phase": "Pending", "qosClass": .string(Self.qosClass(spec))]
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue, context: StrategyContext) {
        var spec = object["spec"] ?? [:]
        PodDefaults.applyToPodSpec(&spec)
        object["spec"] = spec
        object["status"] = old["status"]
    }

    func prepareForStatusUpdate(_ object: inout JSONValue, old: JSONValue, context: StrategyContext) {
        let status = object["status"]
        let metadata = object["metadata"]
        object = old
        // The kubelet and the scheduler may write conditions, phase and container states, nothing else;
        // managedFields follow the writer.
        if let managed = metadata?["managedFields"] { object.setValue(managed, at: ["metadata", "managedFields"]) }
        object["status"] = status
    }

    /// 0 (immediate) for pods no kubelet runs (unbound or terminated); otherwise the requested grace
    /// period, else the pod's `terminationGracePeriodSeconds`, else 30.
    func gracePeriod(for object: JSONValue, requested: Int64?) -> Int64 {
        let nodeName = object["spec"]?["nodeName"]?.stringValue ?? ""
        if nodeName.isEmpty { return 0 }
        let phase = object["status"]?["phase"]?.stringValue ?? ""
        if phase == "Succeeded" || phase == "Failed" { return 0 }
        if let requested { return max(0, requested) }
        return object["spec"]?["terminationGracePeriodSeconds"]?.intValue ?? 30
    }

    /// The QoS class (`BestEffort`, `Burstable` or `Guaranteed`) from the containers' requests and limits.
    static func qosClass(_ spec: JSONValue) -> String {
        var requests: [String: String] = [:]
        var limits: [String: String] = [:]
        var isGuaranteed = true
        let containers = (spec["containers"]?.arrayValue ?? []) + (spec["initContainers"]?.arrayValue ?? [])
        for container in containers {
            let resources = container["resources"]
            var containerLimits: Set<String> = []
            for (name, value) in resources?["requests"]?.objectValue ?? [:] where name == "cpu" || name == "memory" {
                if let v = value.stringValue, !isZeroQuantity(v) { requests[name] = v }
            }
            for (name, value) in resources?["limits"]?.objectValue ?? [:] where name == "cpu" || name == "memory" {
                if let v = value.stringValue, !isZeroQuantity(v) {
                    limits[name] = v
                    containerLimits.insert(name)
                }
            }
            if containerLimits != ["cpu", "memory"] { isGuaranteed = false }
            // Guaranteed also needs requests equal to limits where both are set.
            for name in ["cpu", "memory"] {
                if let r = resources?["requests"]?[name]?.stringValue, let l = resources?["limits"]?[name]?.stringValue, r != l {
                    isGuaranteed = false
                }
            }
        }
        if requests.isEmpty && limits.isEmpty { return "BestEffort" }
        return isGuaranteed ? "Guaranteed" : "Burstable"
    }

    static func isZeroQuantity(_ text: String) -> Bool {
        text.allSatisfy { $0 == "0" || $0 == "." || $0 == "m" }
    }
}
