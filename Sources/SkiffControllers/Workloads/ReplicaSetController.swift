import Foundation
import Logging
import SkiffAPI
import SkiffClient

/// The ReplicaSet controller (upstream's `pkg/controller/replicaset`): keeps `spec.replicas` active
/// pods matching each ReplicaSet's selector, adopting orphans and releasing pods that stopped
/// matching, and keeps `status` up to date through the `status` subresource.
public struct ReplicaSetController: Controller {
    public var name: String { "replicaset-controller" }
    /// ReplicaSets synced at once (upstream's `--concurrent-replicaset-syncs`).
    public var workers: Int

    public init(workers: Int = 5) { self.workers = max(1, workers) }

    public func run(context: ControllerContext) async throws {
        let syncer = ReplicaSetSyncer(context: context)
        await ReconcileRunner(name: name, reconciler: syncer, queue: syncer.queue, workers: workers,
                              caches: [{ await syncer.pods.waitForSync() }, { await syncer.replicaSets.waitForSync() }],
                              sources: [{ await syncer.handlePodEvents() }, { await syncer.handleReplicaSetEvents() }],
                              logger: context.logger).run()
    }
}

/// One leadership term's state of the ReplicaSet controller.
final class ReplicaSetSyncer: Sendable {
    let client: RESTClient
    let pods: Informer<core.v1.Pod>
    let replicaSets: Informer<apps.v1.ReplicaSet>
    let queue: WorkQueue<String, ControllerClock>
    let expectations = ControllerExpectations()
    let recorder: EventRecorder
    let clock: ControllerClock
    let logger: Logger

    init(context: ControllerContext) {
        clock = context.clock
        queue = context.queue(name: "replicaset", backoff: ExponentialBackoff(base: .milliseconds(5), maximum: .seconds(60)))
        client = context.client
        pods = context.informers.informer(core.v1.Pod.self, indexers: [Self.controllerIndex: Self.controllerKeys])
        replicaSets = context.informers.informer(apps.v1.ReplicaSet.self)
        recorder = context.events.recorder(component: "replicaset-controller")
        logger = context.logger
    }

    /// Pods by their controller's uid, and pods without one by `orphan/<namespace>`: a sync looks at its own
    /// pods and the orphans it may adopt, not at every pod of the namespace (upstream lists the namespace,
    /// which costs a Go lister nothing; copying 10,000 pods per sync is not free).
    static let controllerIndex = "controller-uid"

    @Sendable static func controllerKeys(_ pod: core.v1.Pod) -> [String] {
        [pod.controllerReference?.uid ?? "orphan/\(pod.objectNamespace)"]
    }

    // MARK: - Events

    func handleReplicaSetEvents() async {
        for await event in replicaSets.events() {
            switch event {
            case .added(let rs): await queue.add(rs.objectKey)
            case .updated(let old, let new):
                if old.objectResourceVersion == new.objectResourceVersion && old.specReplicas == new.specReplicas { continue }
                await queue.add(new.objectKey)
            case .deleted(let rs, _):
                expectations.delete(rs.objectKey)
                await queue.add(rs.objectKey)
            }
        }
    }

    func handlePodEvents() async {
        for await event in pods.events() {
            switch event {
            case .added(let pod):
                if pod.isBeingDeleted { await podDeleted(pod); continue }
                if let owner = owningReplicaSet(of: pod) {
                    expectations.creationObserved(owner.objectKey)
                    await queue.add(owner.objectKey)
                } else if pod.controllerReference == nil {
                    for rs in matchingReplicaSets(of: pod) { await queue.add(rs.objectKey) }
                }
            case .updated(let old, let new):
                if old.objectResourceVersion == new.objectResourceVersion { continue }
                if new.isBeingDeleted { await podDeleted(new); continue }
                let oldOwner = owningReplicaSet(of: old), newOwner = owningReplicaSet(of: new)
                if let oldOwner, oldOwner.uid != newOwner?.uid { await queue.add(oldOwner.objectKey) }
                if let newOwner {
                    await queue.add(newOwner.objectKey)
                    let minReady = newOwner.minReadySeconds
                    if minReady > 0 && !old.isReady && new.isReady {
                        await queue.add(newOwner.objectKey, after: .seconds(minReady + 1))
                    }
                } else if new.controllerReference == nil, old.objectLabels != new.objectLabels || old.controllerReference != nil {
                    for rs in matchingReplicaSets(of: new) { await queue.add(rs.objectKey) }
                }
            case .deleted(let pod, _):
                await podDeleted(pod)
            }
        }
    }

    func podDeleted(_ pod: core.v1.Pod) async {
        guard let owner = owningReplicaSet(of: pod) else { return }
        expectations.deletionObserved(owner.objectKey, podKey: pod.objectKey)
        await queue.add(owner.objectKey)
    }

    /// The ReplicaSet a pod's controller reference names, if it still exists with that uid.
    func owningReplicaSet(of pod: core.v1.Pod) -> apps.v1.ReplicaSet? {
        guard let ref = pod.controllerReference, ref.kind == "ReplicaSet",
              let rs = replicaSets.indexer.get(namespace: pod.objectNamespace, name: ref.name), rs.uid == ref.uid
        else { return nil }
        return rs
    }

    func matchingReplicaSets(of pod: core.v1.Pod) -> [apps.v1.ReplicaSet] {
        let labels = pod.objectLabels
        return replicaSets.indexer.byIndex(Indexer<apps.v1.ReplicaSet>.namespaceIndex, pod.objectNamespace)
            .filter { $0.selector.matches(labels) }
    }

    // MARK: - Sync

    func sync(_ key: String) async throws {
        guard let rs = replicaSets.indexer.get(key: key) else {
            expectations.delete(key)
            return
        }
        let needsSync = expectations.satisfied(key, now: clock.date) && !rs.isBeingDeleted
        let candidates = (pods.indexer.byIndex(Self.controllerIndex, rs.uid)
            + pods.indexer.byIndex(Self.controllerIndex, "orphan/\(rs.objectNamespace)")).filter(\.isActive)
        let owned = try await claimPods(candidates, for: rs)
        var manageError: (any Error)?
        if needsSync {
            do { try await manageReplicas(owned, of: rs) } catch { manageError = error }
        }
        let status = ReplicaSetDecisions.status(of: rs, activePods: owned, now: clock.date)
        let updated = try await updateStatus(of: rs, to: status)
        if let manageError { throw manageError }
        let minReady = rs.minReadySeconds
        if updated, minReady > 0, status.readyReplicas != status.availableReplicas {
            await queue.add(key, after: .seconds(minReady))
        }
    }

    /// The active pods `rs` controls after adopting matching orphans and releasing its pods that no
    /// longer match (upstream's `PodControllerRefManager.ClaimPods`).
    func claimPods(_ candidates: [core.v1.Pod], for rs: apps.v1.ReplicaSet) async throws -> [core.v1.Pod] {
        let selector = rs.selector
        var owned: [core.v1.Pod] = []
        var mayAdopt: Bool?
        for pod in candidates {
            let matches = selector.matches(pod.objectLabels)
            if let ref = pod.controllerReference {
                guard ref.uid == rs.uid else { continue }
                if matches { owned.append(pod); continue }
                if pod.isBeingDeleted || rs.isBeingDeleted { continue }
                try await release(pod, from: rs)
                continue
            }
            guard matches, !pod.isBeingDeleted, !rs.isBeingDeleted else { continue }
            if mayAdopt == nil { mayAdopt = try await ownerStillCurrent(rs) }
            guard mayAdopt == true else { continue }
            if let adopted = try await adopt(pod, by: rs) { owned.append(adopted) }
        }
        return owned
    }

    /// Re-reads the owner so nothing is adopted by a ReplicaSet being deleted or replaced.
    func ownerStillCurrent(_ rs: apps.v1.ReplicaSet) async throws -> Bool {
        do {
            let fresh = try await client.api(apps.v1.ReplicaSet.self, namespace: rs.objectNamespace).get(rs.objectName)
            return fresh.uid == rs.uid && !fresh.isBeingDeleted
        } catch let error as APIError where error.isNotFound { return false }
    }

    func adopt(_ pod: core.v1.Pod, by rs: apps.v1.ReplicaSet) async throws -> core.v1.Pod? {
        let references = pod.ownerReferences + [rs.controllerOwnerReference]
        return try await patchOwners(of: pod, to: references)
    }

    func release(_ pod: core.v1.Pod, from rs: apps.v1.ReplicaSet) async throws {
        _ = try await patchOwners(of: pod, to: pod.ownerReferences.filter { $0.uid != rs.uid })
    }

    /// Sets a pod's owner references with a merge patch that names the uid and resourceVersion it
    /// was computed from: a pod changed meanwhile makes it a conflict (retried from the informer),
    /// never an overwrite of someone else's change. A pod gone is nothing to do.
    func patchOwners(of pod: core.v1.Pod, to references: [meta.v1.OwnerReference]) async throws -> core.v1.Pod? {
        do {
            return try await client.pods(pod.objectNamespace).patch(pod.objectName, .ownerReferences(of: pod, to: references))
        } catch let error as APIError where error.isNotFound { return nil }
    }

    func manageReplicas(_ owned: [core.v1.Pod], of rs: apps.v1.ReplicaSet) async throws {
        let key = rs.objectKey
        let delta = ReplicaSetDecisions.replicaDelta(active: owned.count, desired: rs.specReplicas)
        if delta > 0 {
            expectations.expectCreations(key, count: delta, now: clock.date)
            try await createPods(delta, for: rs)
        } else if delta < 0 {
            let doomed = ReplicaSetDecisions.podsToDelete(owned, count: -delta)
            expectations.expectDeletions(key, podKeys: Set(doomed.map(\.objectKey)), now: clock.date)
            try await deletePods(doomed, of: rs)
        }
    }

    /// Creates `count` pods in slow-start batches; the first failing batch stops it, and every create
    /// not made lowers the expectations so the next sync can try again.
    func createPods(_ count: Int, for rs: apps.v1.ReplicaSet) async throws {
        let key = rs.objectKey
        let template = ReplicaSetDecisions.pod(from: rs)
        let pods = client.pods(rs.objectNamespace)
        let reference = EventRecorder.ObjectReference(rs)
        var attempted = 0
        for batch in ReplicaSetDecisions.slowStartBatches(count: count) {
            let failure = await withTaskGroup(of: (any Error)?.self) { group -> (any Error)? in
                for _ in 0..<batch {
                    group.addTask {
                        do {
                            let pod = try await pods.create(template)
                            self.recorder.record(reference, type: "Normal", reason: "SuccessfulCreate", message: "Created pod: \(pod.objectName)")
                            return nil
                        } catch {
                            self.expectations.creationObserved(key)
                            self.recorder.record(reference, type: "Warning", reason: "FailedCreate", message: "Error creating: \(error)")
                            return error
                        }
                    }
                }
                var first: (any Error)?
                for await result in group where first == nil { first = result }
                return first
            }
            attempted += batch
            if let failure {
                for _ in attempted..<count { expectations.creationObserved(key) }
                throw failure
            }
        }
    }

    func deletePods(_ doomed: [core.v1.Pod], of rs: apps.v1.ReplicaSet) async throws {
        let key = rs.objectKey
        let reference = EventRecorder.ObjectReference(rs)
        let failure = await withTaskGroup(of: (any Error)?.self) { group -> (any Error)? in
            for pod in doomed {
                group.addTask {
                    do {
                        try await self.client.pods(pod.objectNamespace).delete(pod.objectName)
                        self.recorder.record(reference, type: "Normal", reason: "SuccessfulDelete", message: "Deleted pod: \(pod.objectName)")
                        return nil
                    } catch let error as APIError where error.isNotFound {
                        self.expectations.deletionObserved(key, podKey: pod.objectKey)
                        return nil
                    } catch {
                        self.expectations.deletionObserved(key, podKey: pod.objectKey)
                        self.recorder.record(reference, type: "Warning", reason: "FailedDelete", message: "Error deleting: \(error)")
                        return error
                    }
                }
            }
            var first: (any Error)?
            for await result in group where first == nil { first = result }
            return first
        }
        if let failure { throw failure }
    }

    /// Writes `status` through the status subresource unless it is already there; a conflict re-reads
    /// the ReplicaSet and tries again (a few times), never overwriting a newer spec.
    func updateStatus(of rs: apps.v1.ReplicaSet, to status: apps.v1.ReplicaSetStatus) async throws -> Bool {
        if ReplicaSetDecisions.statusMatches(rs.status, status) { return false }
        let api = client.api(apps.v1.ReplicaSet.self, namespace: rs.objectNamespace)
        var current = rs
        for attempt in 0..<3 {
            current.status = status
            do {
                _ = try await api.updateStatus(current)
                return true
            } catch let error as APIError where error.isConflict && attempt < 2 {
                current = try await api.get(rs.objectName)
                guard current.uid == rs.uid else { return false }
            } catch let error as APIError where error.isNotFound {
                return false
            }
        }
        return false
    }
}

extension ReplicaSetSyncer: Reconciler {
    func reconcile(_ key: String) async throws -> Requeue {
        try await sync(key)
        return .done
    }
}
