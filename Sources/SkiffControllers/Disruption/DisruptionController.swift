import Foundation
import Logging
import SkiffAPI
import SkiffClient

/// The disruption controller (upstream's `pkg/controller/disruption`): keeps every PodDisruptionBudget's
/// status (expected, healthy and desired pods, disruptions allowed, pending evictions, the
/// `DisruptionAllowed` condition) so that the eviction subresource can decide on it.
public struct DisruptionController: Controller {
    public var name: String { "disruption-controller" }
    /// PDBs synced at once (upstream runs one worker).
    public var workers: Int

    public init(workers: Int = 2) { self.workers = max(1, workers) }

    public func run(context: ControllerContext) async throws {
        let syncer = DisruptionSyncer(context: context)
        await ReconcileRunner(name: name, reconciler: syncer, queue: syncer.queue, workers: workers,
                              caches: [{ await syncer.waitForSync() }],
                              sources: [{ await syncer.handleBudgetEvents() }, { await syncer.handlePodEvents() }],
                              logger: context.logger).run()
    }
}

/// One leadership term's state of the disruption controller.
final class DisruptionSyncer: Sendable {
    let client: RESTClient
    let budgets: Informer<policy.v1.PodDisruptionBudget>
    let pods: Informer<core.v1.Pod>
    let replicaSets: Informer<apps.v1.ReplicaSet>
    let deployments: Informer<apps.v1.Deployment>
    let statefulSets: Informer<apps.v1.StatefulSet>
    let replicationControllers: Informer<core.v1.ReplicationController>
    let queue: WorkQueue<String, ControllerClock>
    let recorder: EventRecorder
    let clock: ControllerClock
    let context: ControllerContext
    let logger: Logger

    init(context: ControllerContext) {
        clock = context.clock
        queue = context.queue(name: "disruption", backoff: ExponentialBackoff(base: .milliseconds(5), maximum: .seconds(1000)))
        self.context = context
        client = context.client
        budgets = context.informers.informer(policy.v1.PodDisruptionBudget.self)
        pods = context.informers.informer(core.v1.Pod.self)
        replicaSets = context.informers.informer(apps.v1.ReplicaSet.self)
        deployments = context.informers.informer(apps.v1.Deployment.self)
        statefulSets = context.informers.informer(apps.v1.StatefulSet.self)
        replicationControllers = context.informers.informer(core.v1.ReplicationController.self)
        recorder = context.events.recorder(component: "controllermanager")
        logger = context.logger
    }

    func waitForSync() async {
        await budgets.waitForSync()
        await pods.waitForSync()
        await replicaSets.waitForSync()
        await deployments.waitForSync()
        await statefulSets.waitForSync()
        await replicationControllers.waitForSync()
    }

    // MARK: - Events

    func handleBudgetEvents() async {
        for await event in budgets.events() {
            await queue.add(event.object.objectKey)
        }
    }

    /// A pod added, changed or deleted resyncs the budgets that select it. Upstream resyncs only the
    /// first (`getPdbForPod`) and warns; resyncing all keeps every overlapping budget current too.
    func handlePodEvents() async {
        for await event in pods.events() {
            if case .updated(let old, let new) = event, old.objectResourceVersion == new.objectResourceVersion { continue }
            for pdb in budgets(for: event.object) { await queue.add(pdb.objectKey) }
        }
    }

    /// The budgets in the pod's namespace whose selector matches it; a warning event when several do.
    func budgets(for pod: core.v1.Pod) -> [policy.v1.PodDisruptionBudget] {
        let labels = pod.objectLabels
        let matching = budgets.indexer.byIndex(Indexer<policy.v1.PodDisruptionBudget>.namespaceIndex, pod.objectNamespace).filter { pdb in
            guard let selector = try? DisruptionMath.selector(of: pdb) else { return false }
            return selector.matches(labels)
        }.sorted { $0.objectName < $1.objectName }
        if matching.count > 1 {
            recorder.record(EventRecorder.ObjectReference(pod),
                            type: "Warning", reason: "MultiplePodDisruptionBudgets",
                            message: "Pod \"\(pod.objectNamespace)\"/\"\(pod.objectName)\" matches multiple PodDisruptionBudgets.  Chose \"\(matching[0].objectName)\" arbitrarily.")
        }
        return matching
    }

    // MARK: - Sync

    func sync(_ key: String) async throws {
        guard let pdb = budgets.indexer.get(key: key) else { return }
        do {
            try await trySync(pdb)
        } catch let error as APIError where error.isConflict {
            throw error
        } catch {
            logger.warning("failed to sync PodDisruptionBudget", metadata: ["key": "\(key)", "error": "\(error)"])
            try await writeStatus(DisruptionMath.failSafe(pdb, error: "\(error)", now: clock.date))
        }
    }

    func trySync(_ pdb: policy.v1.PodDisruptionBudget) async throws {
        let reference = EventRecorder.ObjectReference(pdb)
        let selector = try DisruptionMath.selector(of: pdb)
        let selected = pods.indexer.byIndex(Indexer<core.v1.Pod>.namespaceIndex, pdb.objectNamespace)
            .filter { selector.matches($0.objectLabels) }
        if selected.isEmpty {
            recorder.record(reference, type: "Normal", reason: "NoPods", message: "No matching pods found")
        }
        let expected: (count: Int, desiredHealthy: Int)
        do { expected = try await expectedPodCount(pdb, pods: selected) } catch {
            recorder.record(reference, type: "Warning", reason: "CalculateExpectedPodCountFailed",
                            message: "Failed to calculate the number of expected pods: \(error)")
            throw error
        }
        let now = clock.date
        let (disrupted, recheck) = DisruptionMath.disruptedPods(selected, pdb: pdb, now: now)
        let counts = DisruptionMath.Counts(currentHealthy: DisruptionMath.currentHealthy(selected, disrupted: disrupted, now: now),
                                           desiredHealthy: expected.desiredHealthy, expectedPods: expected.count)
        if let updated = DisruptionMath.updated(pdb, counts: counts, disrupted: disrupted, now: now) {
            try await writeStatus(updated)
        }
        if let recheck {
            // An eviction that never became a deletion stops counting against the budget when it expires.
            await queue.add(pdb.objectKey, after: .milliseconds(Int64(max(0, recheck.timeIntervalSince(now)) * 1000) + 1))
        }
    }

    /// (expectedPods, desiredHealthy) as upstream's `getExpectedPodCount`: an integer `minAvailable`
    /// counts the selected pods; `maxUnavailable` and a percentage `minAvailable` need the scale of
    /// the pods' controllers.
    func expectedPodCount(_ pdb: policy.v1.PodDisruptionBudget, pods: [core.v1.Pod]) async throws -> (count: Int, desiredHealthy: Int) {
        if let maxUnavailable = pdb.spec?.maxUnavailable {
            let expected = try await expectedScale(pdb, pods: pods)
            let unavailable = try DisruptionMath.scaledValue(maxUnavailable, total: expected)
            return (expected, max(0, expected - unavailable))
        }
        if let minAvailable = pdb.spec?.minAvailable {
            if case .int(let count) = minAvailable { return (pods.count, Int(count)) }
            let expected = try await expectedScale(pdb, pods: pods)
            return (expected, try DisruptionMath.scaledValue(minAvailable, total: expected))
        }
        return (0, 0)
    }

    /// The sum of the scales of the controllers of `pods` (upstream's `getExpectedScale`); pods
    /// without a controller are reported once and left out.
    func expectedScale(_ pdb: policy.v1.PodDisruptionBudget, pods: [core.v1.Pod]) async throws -> Int {
        var scales: [String: Int] = [:]
        var unmanaged: [String] = []
        for pod in pods {
            guard let ref = pod.controllerReference else {
                unmanaged.append(pod.objectName)
                continue
            }
            if scales[ref.uid] != nil { continue }
            guard let found = try await controllerScale(ref, namespace: pod.objectNamespace) else {
                throw DisruptionSyncError(description: "found no controllers for pod \"\(pod.objectName)\"")
            }
            scales[found.uid] = found.scale
        }
        if !unmanaged.isEmpty {
            let selector = pdb.spec?.selector.map { String(decoding: $0.json.serialized(), as: UTF8.self) } ?? "nil"
            recorder.record(EventRecorder.ObjectReference(pdb), type: "Warning", reason: "UnmanagedPods",
                            message: "Pods selected by this PodDisruptionBudget (selector: \(selector)) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB to an integer value.")
        }
        return scales.values.reduce(0, +)
    }

    /// The controller a pod's controller reference names and its `spec.replicas`, tried as upstream's
    /// finders are: ReplicationController, Deployment (through its ReplicaSet), ReplicaSet,
    /// StatefulSet, then any resource's `scale` subresource.
    func controllerScale(_ ref: meta.v1.OwnerReference, namespace: String) async throws -> (uid: String, scale: Int)? {
        let (kind, apiVersion, name, uid) = (ref.kind, ref.apiVersion, ref.name, ref.uid)
        func owned<Object: KubernetesObject & InformerObject>(_ informer: Informer<Object>) -> Object? {
            guard let object = informer.indexer.get(namespace: namespace, name: name), object.uid == uid else { return nil }
            return object
        }
        switch (kind, ref.group) {
        case ("ReplicationController", ""):
            if let rc = owned(replicationControllers) { return (rc.uid, Int(rc.spec?.replicas ?? 1)) }
        case ("ReplicaSet", "apps"), ("ReplicaSet", "extensions"):
            guard let rs = owned(replicaSets) else { break }
            if let dRef = rs.controllerReference, dRef.kind == "Deployment" {
                guard dRef.group == "apps" || dRef.group == "extensions",
                      let d = deployments.indexer.get(namespace: namespace, name: dRef.name), d.uid == dRef.uid
                else { return nil }
                return (d.uid, d.specReplicas)
            }
            return (rs.uid, rs.specReplicas)
        case ("StatefulSet", "apps"):
            if let ss = owned(statefulSets) { return (ss.uid, Int(ss.spec?.replicas ?? 1)) }
        default:
            return try await scaleSubresource(apiVersion: apiVersion, kind: kind, name: name, uid: uid, namespace: namespace)
        }
        return nil
    }

    /// Any other controller: its `scale` subresource, found through discovery (`getScaleController`).
    func scaleSubresource(apiVersion: String, kind: String, name: String, uid: String, namespace: String) async throws
        -> (uid: String, scale: Int)?
    {
        guard let resource = try await context.discover().mapper.resource(apiVersion: apiVersion, kind: kind) else {
            throw DisruptionSyncError(description: "no matches for kind \"\(kind)\" in version \"\(apiVersion)\"")
        }
        do {
            let scale = try autoscaling.v1.Scale(json: try await client.json(.GET, resource.objectPath(name: name, namespace: namespace) + "/scale"))
            guard scale.uid == uid else { return nil }
            return (uid, Int(scale.spec?.replicas ?? 0))
        } catch let error as APIError where error.isNotFound {
            return nil
        }
    }

    /// Writes the status through the status subresource; a conflict is retried from the queue
    /// with the newer object (upstream's `writePdbStatus`).
    func writeStatus(_ pdb: policy.v1.PodDisruptionBudget) async throws {
        do {
            _ = try await client.api(policy.v1.PodDisruptionBudget.self, namespace: pdb.objectNamespace).updateStatus(pdb)
        } catch let error as APIError where error.isNotFound {
            return
        }
    }
}

extension DisruptionSyncer: Reconciler {
    func reconcile(_ key: String) async throws -> Requeue {
        try await sync(key)
        return .done
    }
}
