import Foundation
import Logging
import SkiffAPI
import SkiffClient

/// The Deployment controller (upstream's `pkg/controller/deployment`): one ReplicaSet per pod
/// template (named `<deployment>-<pod-template-hash>`), rolled out with RollingUpdate
/// (maxSurge/maxUnavailable) or Recreate, revision annotations for `kubectl rollout history/undo`,
/// history cleanup, pause, proportional scaling, and status with Available/Progressing conditions.
public struct DeploymentController: Controller {
    public var name: String { "deployment-controller" }
    /// Deployments synced at once (upstream's `--concurrent-deployment-syncs`).
    public var workers: Int

    public init(workers: Int = 5) { self.workers = max(1, workers) }

    public func run(context: ControllerContext) async throws {
        let syncer = DeploymentSyncer(context: context)
        await ReconcileRunner(name: name, reconciler: syncer, queue: syncer.queue, workers: workers,
                              caches: [{ await syncer.deployments.waitForSync() }, { await syncer.replicaSets.waitForSync() }, { await syncer.pods.waitForSync() }],
                              sources: [{ await syncer.handleDeploymentEvents() }, { await syncer.handleReplicaSetEvents() }, { await syncer.handlePodEvents() }],
                              logger: context.logger).run()
    }
}

/// One leadership term's state of the Deployment controller.
final class DeploymentSyncer: Sendable {
    let client: RESTClient
    let deployments: Informer<apps.v1.Deployment>
    let replicaSets: Informer<apps.v1.ReplicaSet>
    let pods: Informer<core.v1.Pod>
    let queue: WorkQueue<String, ControllerClock>
    let recorder: EventRecorder
    let clock: ControllerClock
    let logger: Logger

    init(context: ControllerContext) {
        clock = context.clock
        queue = context.queue(name: "deployment", backoff: ExponentialBackoff(base: .milliseconds(5), maximum: .seconds(60)))
        client = context.client
        deployments = context.informers.informer(apps.v1.Deployment.self)
        replicaSets = context.informers.informer(apps.v1.ReplicaSet.self)
        pods = context.informers.informer(core.v1.Pod.self)
        recorder = context.events.recorder(component: "deployment-controller")
        logger = context.logger
    }

    // MARK: - Events

    func handleDeploymentEvents() async {
        for await event in deployments.events() { await queue.add(event.object.objectKey) }
    }

    func handleReplicaSetEvents() async {
        for await event in replicaSets.events() {
            if case .updated(let old, let new) = event, let owner = owningDeployment(of: old),
               owner.uid != owningDeployment(of: new)?.uid {
                await queue.add(owner.objectKey)
            }
            let rs = event.object
            if let owner = owningDeployment(of: rs) {
                await queue.add(owner.objectKey)
            } else if rs.controllerReference == nil {
                let labels = rs.objectLabels
                for d in deployments.indexer.byIndex(Indexer<apps.v1.Deployment>.namespaceIndex, rs.objectNamespace)
                where d.selector.matches(labels) {
                    await queue.add(d.objectKey)
                }
            }
        }
    }

    /// A Recreate rollout waits for the old pods to be gone: their deletions wake it.
    func handlePodEvents() async {
        for await event in pods.events() {
            guard case .deleted(let pod, _) = event, let ref = pod.controllerReference, ref.kind == "ReplicaSet",
                  let rs = replicaSets.indexer.get(namespace: pod.objectNamespace, name: ref.name),
                  let owner = owningDeployment(of: rs)
            else { continue }
            await queue.add(owner.objectKey)
        }
    }

    func owningDeployment(of rs: apps.v1.ReplicaSet) -> apps.v1.Deployment? {
        guard let ref = rs.controllerReference, ref.kind == "Deployment",
              let d = deployments.indexer.get(namespace: rs.objectNamespace, name: ref.name), d.uid == ref.uid
        else { return nil }
        return d
    }

    // MARK: - Sync

    func sync(_ key: String) async throws {
        guard var d = deployments.indexer.get(key: key) else { return }
        let selector = d.selector
        if selector.isEverything || selector.selectsNothing {
            recorder.record(EventRecorder.ObjectReference(d), type: "Warning", reason: "SelectingAll",
                            message: "This deployment is selecting all pods. A non-empty selector is required.")
            return
        }
        let rsList = try await claimReplicaSets(for: d, selector: selector)
        if d.isBeingDeleted {
            let (newRS, old) = try await replicaSetsAndSyncRevision(&d, rsList, create: false)
            try await syncStatus(&d, newRS: newRS, oldRSs: old, rollout: false)
            return
        }
        if d.isPaused || isScalingEvent(d, rsList) {
            let (newRS, old) = try await replicaSetsAndSyncRevision(&d, rsList, create: false)
            try await scale(d, newRS: newRS, oldRSs: old)
            if d.isPaused { try await cleanup(d, oldRSs: old) }
            let (latestNew, latestOld) = refreshed(newRS, old)
            try await syncStatus(&d, newRS: latestNew, oldRSs: latestOld, rollout: false)
            return
        }
        if d.isRecreate {
            try await rolloutRecreate(&d, rsList)
        } else {
            try await rolloutRolling(&d, rsList)
        }
    }

    /// The ReplicaSets `d` controls, after adopting matching orphans and releasing ones that no longer match.
    func claimReplicaSets(for d: apps.v1.Deployment, selector: LabelSelector) async throws -> [apps.v1.ReplicaSet] {
        var owned: [apps.v1.ReplicaSet] = []
        for rs in replicaSets.indexer.byIndex(Indexer<apps.v1.ReplicaSet>.namespaceIndex, d.objectNamespace) {
            let matches = selector.matches(rs.objectLabels)
            if let ref = rs.controllerReference {
                guard ref.uid == d.uid else { continue }
                if matches || rs.isBeingDeleted || d.isBeingDeleted { owned.append(rs); continue }
                _ = try await patchOwners(of: rs, to: rs.ownerReferences.filter { $0.uid != d.uid })
                continue
            }
            guard matches, !rs.isBeingDeleted, !d.isBeingDeleted else { continue }
            let adopted = rs.ownerReferences + [d.controllerOwnerReference]
            if let rs = try await patchOwners(of: rs, to: adopted) { owned.append(rs) }
        }
        return owned
    }

    func patchOwners(of rs: apps.v1.ReplicaSet, to references: [meta.v1.OwnerReference]) async throws -> apps.v1.ReplicaSet? {
        do {
            return try await replicaSetsAPI(rs.objectNamespace).patch(rs.objectName, .ownerReferences(of: rs, to: references))
        } catch let error as APIError where error.isNotFound { return nil }
    }

    /// Whether the replica count changed since the active ReplicaSets were last sized for it.
    func isScalingEvent(_ d: apps.v1.Deployment, _ rsList: [apps.v1.ReplicaSet]) -> Bool {
        let (newRS, old) = DeploymentRollout.split(rsList, template: d.spec?.template)
        for rs in ([newRS].compactMap { $0 } + old) where rs.specReplicas > 0 {
            if let desired = rs.annotations[WorkloadAnnotations.desiredReplicas].flatMap(Int.init), desired != d.specReplicas {
                return true
            }
        }
        return false
    }

    /// The latest cached copies of ReplicaSets this sync may have changed.
    func refreshed(_ newRS: apps.v1.ReplicaSet?, _ old: [apps.v1.ReplicaSet]) -> (apps.v1.ReplicaSet?, [apps.v1.ReplicaSet]) {
        func latest(_ rs: apps.v1.ReplicaSet) -> apps.v1.ReplicaSet { replicaSets.indexer.get(key: rs.objectKey) ?? rs }
        return (newRS.map(latest), old.map(latest))
    }

    func replicaSetsAPI(_ namespace: String) -> Api<apps.v1.ReplicaSet> { client.api(apps.v1.ReplicaSet.self, namespace: namespace) }
    func deploymentsAPI(_ namespace: String) -> Api<apps.v1.Deployment> { client.api(apps.v1.Deployment.self, namespace: namespace) }
}

extension DeploymentSyncer: Reconciler {
    func reconcile(_ key: String) async throws -> Requeue {
        try await sync(key)
        return .done
    }
}
