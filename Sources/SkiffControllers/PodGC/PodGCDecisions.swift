import Foundation
import SkiffAPI
import SkiffClient

/// The pure decisions of the pod garbage collector: which pods count as terminated, which of them go
/// first, which nodes are missing, and the status a pod gets before it is force-deleted.
enum PodGCDecisions {
    static let outOfServiceTaint = "node.kubernetes.io/out-of-service"

    /// Evicted by a kubelet (upstream's `eviction.PodIsEvicted`): these go before other terminated pods.
    static func isEvicted(_ pod: core.v1.Pod) -> Bool {
        pod.phase == "Failed" && pod.status?.reason == "Evicted"
    }

    /// Upstream's `byEvictionAndCreationTimestamp`: evicted first, then oldest, then by name.
    static func deletedFirst(_ a: core.v1.Pod, _ b: core.v1.Pod) -> Bool {
        let (aEvicted, bEvicted) = (isEvicted(a), isEvicted(b))
        if aEvicted != bEvicted { return aEvicted }
        if a.creationDate != b.creationDate { return a.creationDate < b.creationDate }
        return a.objectName < b.objectName
    }

    /// The terminated pods beyond `threshold`, in deletion order (none when the threshold is 0 or less).
    static func terminatedOverThreshold(_ pods: [core.v1.Pod], threshold: Int) -> [core.v1.Pod] {
        guard threshold > 0 else { return [] }
        let terminated = pods.filter(\.isTerminated)
        let excess = terminated.count - threshold
        guard excess > 0 else { return [] }
        return Array(terminated.sorted(by: deletedFirst).prefix(excess))
    }

    /// Names of the nodes pods are bound to that the node cache does not hold.
    static func missingNodes(pods: [core.v1.Pod], existing: Set<String>) -> Set<String> {
        var missing = Set<String>()
        for pod in pods {
            let node = pod.nodeName
            if !node.isEmpty && !existing.contains(node) { missing.insert(node) }
        }
        return missing
    }

    /// Terminating pods on nodes that are not Ready and carry the out-of-service taint: their kubelet
    /// will never finish them (upstream's `gcTerminating`).
    static func terminatingOnOutOfServiceNodes(_ pods: [core.v1.Pod], nodes: [String: core.v1.Node]) -> [core.v1.Pod] {
        pods.filter { pod in
            guard pod.isBeingDeleted, let node = nodes[pod.nodeName] else { return false }
            let ready = NodeHealth.readyStatus(node) == "True"
            let tainted = (node.spec?.taints ?? []).contains { $0.key == outOfServiceTaint }
            return !ready && tainted
        }.sorted(by: deletedFirst)
    }

    /// Terminating pods no node was ever assigned: no kubelet will finish them.
    static func unscheduledTerminating(_ pods: [core.v1.Pod]) -> [core.v1.Pod] {
        pods.filter { $0.isBeingDeleted && $0.nodeName.isEmpty }
    }

    /// The status (a merge patch's) that marks a pod Failed before its force deletion (upstream's
    /// `markFailedAndDeletePodWithCondition`), or nil when it already finished: without it a pod whose
    /// kubelet is gone would stay Running in every record of it (watchers see its final state).
    static func failedStatus(_ pod: core.v1.Pod, condition: core.v1.PodCondition?, now: meta.v1.Time) -> core.v1.PodStatus? {
        guard !pod.isTerminated else { return nil }
        var status = core.v1.PodStatus(phase: "Failed")
        if var condition {
            var conditions = pod.status?.conditions ?? []
            if let index = conditions.firstIndex(where: { $0.type == condition.type }) {
                // Keep the transition time when the status does not change (upstream's UpdatePodCondition).
                let same = conditions[index].status == condition.status
                condition.lastTransitionTime = same ? conditions[index].lastTransitionTime ?? now : now
                conditions[index] = condition
            } else {
                condition.lastTransitionTime = now
                conditions.append(condition)
            }
            status.conditions = conditions
        }
        return status
    }

    /// The condition an orphaned pod gets: the node it ran on was deleted.
    static let orphanCondition = core.v1.PodCondition(message: "PodGC: node no longer exists", reason: "DeletionByPodGC",
                                                      status: "True", type: "DisruptionTarget")
}
