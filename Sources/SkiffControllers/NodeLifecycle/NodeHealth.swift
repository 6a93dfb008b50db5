import Foundation
import SkiffAPI

/// The pure decisions of the node lifecycle controller: when a node's kubelet counts as silent, what its
/// conditions and taints become, and when a pod on a tainted node must go.
enum NodeHealth {
    static let notReadyTaint = "node.kubernetes.io/not-ready"
    static let unreachableTaint = "node.kubernetes.io/unreachable"
    /// The conditions the kubelet reports, which become Unknown when it falls silent.
    static let kubeletConditions = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]

    /// The status of the node's Ready condition ("True", "False", "Unknown"; "Unknown" when missing).
    static func readyStatus(_ node: JSONValue) -> String {
        condition("Ready", of: node)?["status"]?.stringValue ?? "Unknown"
    }

    static func condition(_ type: String, of node: JSONValue) -> JSONValue? {
        (node["status"]?["conditions"]?.arrayValue ?? []).first { $0["type"]?.stringValue == type }
    }

    /// The node's conditions with every kubelet-owned one set to Unknown (upstream's
    /// `NodeStatusUnknown` / "Kubelet stopped posting node status."), or nil when they already are.
    static func conditionsMarkedUnknown(_ node: JSONValue, now: String) -> [JSONValue]? {
        var conditions = node["status"]?["conditions"]?.arrayValue ?? []
        var changed = false
        for type in kubeletConditions {
            if let index = conditions.firstIndex(where: { $0["type"]?.stringValue == type }) {
                guard conditions[index]["status"]?.stringValue != "Unknown" else { continue }
                conditions[index]["status"] = "Unknown"
                conditions[index]["reason"] = "NodeStatusUnknown"
                conditions[index]["message"] = "Kubelet stopped posting node status."
                conditions[index]["lastTransitionTime"] = .string(now)
            } else {
                conditions.append(["type": .string(type), "status": "Unknown", "reason": "NodeStatusNeverUpdated",
                                   "message": "Kubelet never posted node status.", "lastHeartbeatTime": nil,
                                   "lastTransitionTime": .string(now)])
            }
            changed = true
        }
        return changed ? conditions : nil
    }

    /// The taints a node should carry for its Ready condition: not-ready when False, unreachable when
    /// Unknown, each with NoSchedule (TaintNodesByCondition) and NoExecute (taint-based eviction).
    static func wantedTaintKey(readyStatus: String) -> String? {
        switch readyStatus {
        case "True": return nil
        case "False": return notReadyTaint
        default: return unreachableTaint
        }
    }

    /// `taints` with the not-ready/unreachable ones made to match `wantedKey`; nil when nothing changes.
    static func reconcileTaints(_ taints: [JSONValue], wantedKey: String?, now: String) -> [JSONValue]? {
        let ours: Set<String> = [notReadyTaint, unreachableTaint]
        var kept = taints.filter { taint in
            guard let key = taint["key"]?.stringValue, ours.contains(key) else { return true }
            return key == wantedKey
        }
        if let wantedKey {
            for effect in ["NoSchedule", "NoExecute"]
            where !kept.contains(where: { $0["key"]?.stringValue == wantedKey && $0["effect"]?.stringValue == effect }) {
                var taint: JSONValue = ["key": .string(wantedKey), "effect": .string(effect)]
                if effect == "NoExecute" { taint["timeAdded"] = .string(now) }
                kept.append(taint)
            }
        }
        return kept == taints ? nil : kept
    }

    /// When a pod on a node with `taints` must be evicted (upstream's NoExecuteTaintManager): now when it
    /// does not tolerate some NoExecute taint, after the smallest `tolerationSeconds` among the tolerations
    /// that do (counted from the taint's `timeAdded`), never when it tolerates them all for ever.
    static func evictionTime(pod: JSONValue, taints: [JSONValue], now: Date) -> Date? {
        let noExecute = taints.filter { $0["effect"]?.stringValue == "NoExecute" }
        guard !noExecute.isEmpty else { return nil }
        let tolerations = pod["spec"]?["tolerations"]?.arrayValue ?? []
        var deadline: Date?
        for taint in noExecute {
            let matching = tolerations.filter { tolerates($0, taint) }
            if matching.isEmpty { return now }
            // Tolerated for ever by any toleration without seconds.
            if matching.contains(where: { $0["tolerationSeconds"] == nil }) { continue }
            let seconds = matching.compactMap { $0["tolerationSeconds"]?.intValue }.min() ?? 0
            let added = taint["timeAdded"]?.stringValue.flatMap(parseTime) ?? now
            let at = added.addingTimeInterval(TimeInterval(max(0, seconds)))
            deadline = min(deadline ?? at, at)
        }
        return deadline
    }

    /// Kubernetes' `Toleration.ToleratesTaint`.
    static func tolerates(_ toleration: JSONValue, _ taint: JSONValue) -> Bool {
        let effect = toleration["effect"]?.stringValue ?? ""
        if !effect.isEmpty && effect != taint["effect"]?.stringValue { return false }
        let key = toleration["key"]?.stringValue ?? ""
        if !key.isEmpty && key != taint["key"]?.stringValue { return false }
        switch toleration["operator"]?.stringValue ?? "Equal" {
        case "Exists": return true
        case "Equal", "": return (toleration["value"]?.stringValue ?? "") == (taint["value"]?.stringValue ?? "")
        default: return false
        }
    }

    static func parseTime(_ text: String) -> Date? { meta.v1.Time(rfc3339: text).date }

    static func format(_ date: Date) -> String { meta.v1.Time(date).rfc3339 }
}
