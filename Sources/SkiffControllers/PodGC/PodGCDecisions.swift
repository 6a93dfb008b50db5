import Foundation
import SkiffAPI

/// The pure decisions of the pod garbage collector: which pods count as terminated, which of them go
/// first, which nodes are missing, and the status a pod gets before it is force-deleted.
enum PodGCDecisions {
    static let outOfServiceTaint = "node.kubernetes.io/out-of-service"

    /// Succeeded or Failed: no container of the pod runs again.
    static func isTerminated(_ pod: JSONValue) -> Bool {
        let phase = pod["status"]?["phase"]?.stringValue
        return phase == "Succeeded" || phase == "Failed"
    }

    static func isTerminating(_ pod: JSONValue) -> Bool {
        pod["metadata"]?["deletionTimestamp"].map { !$0.isNull } ?? false
    }

    static func nodeName(_ pod: JSONValue) -> String {
        pod["spec"]?["nodeName"]?.stringValue ?? ""
    }

    /// Evicted by a kubelet (upstream's `eviction.PodIsEvicted`): these go before other terminated pods.
    static func isEvicted(_ pod: JSONValue) -> Bool {
        pod["status"]?["phase"]?.stringValue == "Failed" && pod["status"]?["reason"]?.stringValue == "Evicted"
    }

    /// Upstream's `byEvictionAndCreationTimestamp`: evicted first, then oldest, then by name.
    static func deletedFirst(_ a: JSONValue, _ b: JSONValue) -> Bool {
        let (aEvicted, bEvicted) = (isEvicted(a), isEvicted(b))
        if aEvicted != bEvicted { return aEvicted }
        let aCreated = created(a)
        let bCreated = created(b)
        if aCreated != bCreated { return aCreated < bCreated }
        return a.objectName < b.objectName
    }

    /// The terminated pods beyond `threshold`, in deletion order (none when the threshold is 0 or less).
    static func terminatedOverThreshold(_ pods: [JSONValue], threshold: Int) -> [JSONValue] {
        guard threshold > 0 else { return [] }
        let terminated = pods.filter(isTerminated)
        let excess = terminated.count - threshold
        guard excess > 0 else { return [] }
        return Array(terminated.sorted(by: deletedFirst).prefix(excess))
    }

    /// Names of the nodes pods are bound to that the node cache does not hold.
    static func missingNodes(pods: [JSONValue], existing: Set<String>) -> Set<String> {
        var missing = Set<String>()
        for pod in pods {
            let node = nodeName(pod)
            if !node.isEmpty && !existing.contains(node) { missing.insert(node) }
        }
        return missing
    }

    /// Terminating pods on nodes that are not Ready and carry the out-of-service taint: their kubelet
    /// will never finish them (upstream's `gcTerminating`).
    static func terminatingOnOutOfServiceNodes(_ pods: [JSONValue], nodes: [String: core.v1.Node]) -> [JSONValue] {
        pods.filter { pod in
            guard isTerminating(pod), let node = nodes[nodeName(pod)] else { return false }
            let ready = NodeHealth.readyStatus(node) == "True"
            let tainted = (node.spec?.taints ?? []).contains { $0.key == outOfServiceTaint }
            return !ready && tainted
        }.sorted(by: deletedFirst)
    }

    /// Terminating pods no node was ever assigned: no kubelet will finish them.
    static func unscheduledTerminating(_ pods: [JSONValue]) -> [JSONValue] {
        pods.filter { isTerminating($0) && nodeName($0).isEmpty }
    }

    /// The status patch that marks a pod Failed before its force deletion (upstream's
    /// `markFailedAndDeletePodWithCondition`), or nil when it already finished: without it a pod whose
    /// kubelet is gone would stay Running in every record of it (watchers see its final state).
    static func failedStatus(_ pod: JSONValue, condition: JSONValue?, now: String) -> JSONValue? {
        guard !isTerminated(pod) else { return nil }
        var status: JSONValue = ["phase": "Failed"]
        if var condition {
            var conditions = pod["status"]?["conditions"]?.arrayValue ?? []
            let type = condition["type"]?.stringValue
            if let index = conditions.firstIndex(where: { $0["type"]?.stringValue == type }) {
                // Keep the transition time when the status does not change (upstream's UpdatePodCondition).
                let same = conditions[index]["status"] == condition["status"]
                condition["lastTransitionTime"] = same ? conditions[index]["lastTransitionTime"] ?? .string(now) : .string(now)
                conditions[index] = condition
            } else {
                condition["lastTransitionTime"] = .string(now)
                conditions.append(condition)
            }
            status["conditions"] = .array(conditions)
        }
        return status
    }

    /// The condition an orphaned pod gets: the node it ran on was deleted.
    static let orphanCondition: JSONValue = [
        "type": "DisruptionTarget", "status": "True", "reason": "DeletionByPodGC",
        "message": "PodGC: node no longer exists",
    ]

    static func created(_ pod: JSONValue) -> String {
        // RFC 3339 in UTC with whole seconds: the text orders as the time does.
        pod["metadata"]?["creationTimestamp"]?.stringValue ?? ""
    }
}
