import Foundation
import SkiffAPI

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
    static func podsToDelete(_ pods: [JSONValue], count: Int, related: [JSONValue]? = nil) -> [JSONValue] {
        guard count < pods.count else { return pods }
        var perNode: [String: Int] = [:]
        for pod in related ?? pods where pod.isActivePod && !pod.nodeName.isEmpty { perNode[pod.nodeName, default: 0] += 1 }
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

    static func deleteFirst(_ a: JSONValue, rank ra: Int, than b: JSONValue, rank rb: Int) -> Bool {
        if a.nodeName.isEmpty != b.nodeName.isEmpty { return a.nodeName.isEmpty }
        if phaseOrder(a.podPhase) != phaseOrder(b.podPhase) { return phaseOrder(a.podPhase) < phaseOrder(b.podPhase) }
        if a.isPodReady != b.isPodReady { return !a.isPodReady }
        if ra != rb { return ra > rb }
        if a.isPodReady, let sa = a.readySince, let sb = b.readySince, sa != sb { return sa > sb }
        if a.restartCount != b.restartCount { return a.restartCount > b.restartCount }
        if a.creationDate != b.creationDate { return a.creationDate > b.creationDate }
        return a.objectName < b.objectName
    }

    /// The status a ReplicaSet should have given its active owned pods (upstream's
    /// `calculateStatus`; conditions are kept as they are).
    static func status(of replicaSet: JSONValue, activePods: [JSONValue], now: Date = Date()) -> JSONValue {
        let templateLabels = replicaSet["spec"]?["template"]?["metadata"]?["labels"]?.objectValue ?? [:]
        let minReady = replicaSet.minReadySeconds
        var fullyLabeled = 0, ready = 0, available = 0
        for pod in activePods {
            let labels = pod.objectLabels
            if templateLabels.allSatisfy({ labels[$0.key] == $0.value.stringValue }) { fullyLabeled += 1 }
            if pod.isPodReady {
                ready += 1
                if pod.isPodAvailable(minReadySeconds: minReady, now: now) { available += 1 }
            }
        }
        var status: JSONValue = [
            "replicas": .int(Int64(activePods.count)), "fullyLabeledReplicas": .int(Int64(fullyLabeled)),
            "readyReplicas": .int(Int64(ready)), "availableReplicas": .int(Int64(available)),
            "observedGeneration": .int(replicaSet.generation),
        ]
        if let conditions = replicaSet["status"]?["conditions"], !conditions.isNull { status["conditions"] = conditions }
        return status
    }

    /// Whether `current` already says what `desired` does (only the fields the controller writes).
    static func statusMatches(_ current: JSONValue?, _ desired: JSONValue) -> Bool {
        for field in ["replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration"] {
            if (current?[field]?.intValue ?? 0) != (desired[field]?.intValue ?? 0) { return false }
        }
        return true
    }

    /// The pod a ReplicaSet creates from its template (upstream's `GetPodFromTemplate`).
    static func pod(from replicaSet: JSONValue) -> JSONValue {
        let template = replicaSet["spec"]?["template"] ?? [:]
        var metadata: JSONValue = ["generateName": .string(replicaSet.objectName + "-"),
                                   "namespace": .string(replicaSet.objectNamespace),
                                   "ownerReferences": [controllerOwnerReference(to: replicaSet, apiVersion: "apps/v1", kind: "ReplicaSet")]]
        for field in ["labels", "annotations", "finalizers"] {
            if let value = template["metadata"]?[field], !value.isNull { metadata[field] = value }
        }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template["spec"] ?? [:]]
    }
}
