import Foundation
import SkiffAPI
import SkiffClient

/// The pure decisions of the ReplicaSet controller, apart from any I/O so they can be tested alone.
enum ReplicaSetDecisions {
    /// Upstream's `BurstReplicas`: at most this many creates or deletes per sync.
    static let burstReplicas = 500

    /// How many pods to create (positive) or delete (negative) to reach `desired` from `active`.
    static func replicaDelta(active: Int, desired: Int, burst: Int = burstReplicas) -> Int {
        let diff = desired - active
        return diff >= 0 ? min(diff, burst) : -min(-diff, burst)
    }

    /// Slow-start batch sizes for `count` creates: 1, 2, 4, … until `count` is reached (upstream's
    /// `slowStartBatch`, which stops at the first batch with a failure).
    static func slowStartBatches(count: Int, initial: Int = 1) -> [Int] {
        var batches: [Int] = []
        var remaining = count
        var size = min(remaining, max(1, initial))
        while size > 0 {
            batches.append(size)
            remaining -= size
            size = min(2 * size, remaining)
        }
        return batches
    }

    /// The `count` pods to delete first (upstream's `getPodsToDelete` with `ActivePodsWithRanks`):
    /// unscheduled before scheduled, pending before unknown before running, not ready before ready,
    /// pods doubled up on a node with more of their siblings, ready for less time, more restarts,
    /// newer before older.
    static func podsToDelete(_ pods: [core.v1.Pod], count: Int, related: [core.v1.Pod]? = nil) -> [core.v1.Pod] {
        guard count < pods.count else { return pods }
        var perNode: [String: Int] = [:]
        for pod in related ?? pods where pod.isActive && !pod.nodeName.isEmpty { perNode[pod.nodeName, default: 0] += 1 }
        let ranked = pods.map { (pod: $0, rank: $0.nodeName.isEmpty ? 0 : perNode[$0.nodeName, default: 0]) }
        let sorted = ranked.sorted { deleteFirst($0.pod, rank: $0.rank, than: $1.pod, rank: $1.rank) }
        return sorted.prefix(count).map(\.pod)
    }

    static func phaseOrder(_ phase: String) -> Int {
        switch phase {
        case "Pending", "": return 0
        case "Unknown": return 1
        case "Running": return 2
        default: return 3
        }
    }

    static func deleteFirst(_ a: core.v1.Pod, rank ra: Int, than b: core.v1.Pod, rank rb: Int) -> Bool {
        if a.nodeName.isEmpty != b.nodeName.isEmpty { return a.nodeName.isEmpty }
        if phaseOrder(a.phase) != phaseOrder(b.phase) { return phaseOrder(a.phase) < phaseOrder(b.phase) }
        if a.isReady != b.isReady { return !a.isReady }
        if ra != rb { return ra > rb }
        if a.isReady, let sa = a.readySince, let sb = b.readySince, sa != sb { return sa > sb }
        if a.restartCount != b.restartCount { return a.restartCount > b.restartCount }
        if a.creationDate != b.creationDate { return a.creationDate > b.creationDate }
        return a.objectName < b.objectName
    }

    /// The status a ReplicaSet should have given its active owned pods (upstream's
    /// `calculateStatus`; conditions are kept as they are).
    static func status(of replicaSet: apps.v1.ReplicaSet, activePods: [core.v1.Pod], now: Date = Date()) -> apps.v1.ReplicaSetStatus {
        let templateLabels = replicaSet.spec?.template?.metadata?.labels ?? [:]
        let minReady = replicaSet.minReadySeconds
        var fullyLabeled: Int32 = 0, ready: Int32 = 0, available: Int32 = 0
        for pod in activePods {
            let labels = pod.objectLabels
            if templateLabels.allSatisfy({ labels[$0.key] == $0.value }) { fullyLabeled += 1 }
            if pod.isReady {
                ready += 1
                if pod.isAvailable(minReadySeconds: minReady, now: now) { available += 1 }
            }
        }
        return apps.v1.ReplicaSetStatus(availableReplicas: available, conditions: replicaSet.status?.conditions,
                                        fullyLabeledReplicas: fullyLabeled, observedGeneration: replicaSet.generation,
                                        readyReplicas: ready, replicas: Int32(activePods.count))
    }

    /// Whether `current` already says what `desired` does (only the fields the controller writes).
    static func statusMatches(_ current: apps.v1.ReplicaSetStatus?, _ desired: apps.v1.ReplicaSetStatus) -> Bool {
        (current?.replicas ?? 0) == desired.replicas
            && (current?.fullyLabeledReplicas ?? 0) == (desired.fullyLabeledReplicas ?? 0)
            && (current?.readyReplicas ?? 0) == (desired.readyReplicas ?? 0)
            && (current?.availableReplicas ?? 0) == (desired.availableReplicas ?? 0)
            && (current?.observedGeneration ?? 0) == (desired.observedGeneration ?? 0)
    }

    /// The pod a ReplicaSet creates from its template (upstream's `GetPodFromTemplate`).
    static func pod(from replicaSet: apps.v1.ReplicaSet) -> core.v1.Pod {
        let template = replicaSet.spec?.template
        let metadata = meta.v1.ObjectMeta(annotations: template?.metadata?.annotations, finalizers: template?.metadata?.finalizers,
                                          generateName: replicaSet.objectName + "-", labels: template?.metadata?.labels,
                                          namespace: replicaSet.objectNamespace,
                                          ownerReferences: [replicaSet.controllerOwnerReference])
        return core.v1.Pod(metadata: metadata, spec: template?.spec ?? core.v1.PodSpec(containers: []))
    }
}
