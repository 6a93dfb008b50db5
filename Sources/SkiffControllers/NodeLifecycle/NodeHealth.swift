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
    static func readyStatus(_ node: core.v1.Node) -> String {
        condition("Ready", of: node)?.status ?? "Unknown"
    }

    static func condition(_ type: String, of node: core.v1.Node) -> core.v1.NodeCondition? {
        node.status?.conditions?.first { $0.type == type }
    }

    /// The node's conditions with every kubelet-owned one set to Unknown (upstream's
    /// `NodeStatusUnknown` / "Kubelet stopped posting node status."), or nil when they already are.
    static func conditionsMarkedUnknown(_ node: core.v1.Node, now: meta.v1.Time) -> [core.v1.NodeCondition]? {
        var conditions = node.status?.conditions ?? []
        var changed = false
        for type in kubeletConditions {
            if let index = conditions.firstIndex(where: { $0.type == type }) {
                guard conditions[index].status != "Unknown" else { continue }
                conditions[index].status = "Unknown"
                conditions[index].reason = "NodeStatusUnknown"
                conditions[index].message = "Kubelet stopped posting node status."
                conditions[index].lastTransitionTime = now
            } else {
                conditions.append(core.v1.NodeCondition(lastTransitionTime: now, message: "Kubelet never posted node status.",
                                                        reason: "NodeStatusNeverUpdated", status: "Unknown", type: type))
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
    static func reconcileTaints(_ taints: [core.v1.Taint], wantedKey: String?, now: meta.v1.Time) -> [core.v1.Taint]? {
        let ours: Set<String> = [notReadyTaint, unreachableTaint]
        var kept = taints.filter { !ours.contains($0.key) || $0.key == wantedKey }
        if let wantedKey {
            for effect in ["NoSchedule", "NoExecute"] where !kept.contains(where: { $0.key == wantedKey && $0.effect == effect }) {
                kept.append(core.v1.Taint(effect: effect, key: wantedKey, timeAdded: effect == "NoExecute" ? now : nil))
            }
        }
        return kept == taints ? nil : kept
    }

    /// When a pod with `tolerations` on a node with `taints` must be evicted (upstream's NoExecuteTaintManager):
    /// now when it does not tolerate some NoExecute taint, after the smallest `tolerationSeconds` among the
    /// tolerations that do (counted from the taint's `timeAdded`), never when it tolerates them all for ever.
    static func evictionTime(tolerations: [core.v1.Toleration], taints: [core.v1.Taint], now: Date) -> Date? {
        let noExecute = taints.filter { $0.effect == "NoExecute" }
        guard !noExecute.isEmpty else { return nil }
        var deadline: Date?
        for taint in noExecute {
            let matching = tolerations.filter { tolerates($0, taint) }
            if matching.isEmpty { return now }
            // Tolerated for ever by any toleration without seconds.
            if matching.contains(where: { $0.tolerationSeconds == nil }) { continue }
            let seconds = matching.compactMap(\.tolerationSeconds).min() ?? 0
            let added = taint.timeAdded?.date ?? now
            let at = added.addingTimeInterval(TimeInterval(max(0, seconds)))
            deadline = min(deadline ?? at, at)
        }
        return deadline
    }

    /// Kubernetes' `Toleration.ToleratesTaint`.
    static func tolerates(_ toleration: core.v1.Toleration, _ taint: core.v1.Taint) -> Bool {
        let effect = toleration.effect ?? ""
        if !effect.isEmpty && effect != taint.effect { return false }
        let key = toleration.key ?? ""
        if !key.isEmpty && key != taint.key { return false }
        switch toleration.operator ?? "Equal" {
        case "Exists": return true
        case "Equal", "": return (toleration.value ?? "") == (taint.value ?? "")
        default: return false
        }
    }
}
