import Foundation
import Logging
import SkiffAPI
import SkiffClient
import Synchronization

/// The pod garbage collector (upstream's `pkg/controller/podgc`): every `checkPeriod` it force-deletes
/// terminated pods beyond `terminatedPodThreshold` (evicted, then oldest first), pods bound to nodes
/// that no longer exist (after `quarantine`, checked with a direct GET), terminating pods on
/// out-of-service nodes, and terminating pods never scheduled. Pods still running are marked Failed
/// first, orphans with a `DisruptionTarget` condition.
public struct PodGCController: Controller {
    public var name: String { "pod-garbage-collector-controller" }
    /// Terminated pods kept at most (`--terminated-pod-gc-threshold`); 0 keeps them all.
    public var terminatedPodThreshold: Int
    /// How often pods are looked at (upstream: 20 s).
    public var checkPeriod: Duration
    /// How long a node must be missing from the cache before it is checked for good (upstream: 40 s),
    /// so a node created a moment ago that the cache has not seen yet loses no pods.
    public var quarantine: Duration

    /// Upstream's `--terminated-pod-gc-threshold` default.
    public static let defaultTerminatedPodThreshold = 12500

    public init(terminatedPodThreshold: Int = PodGCController.defaultTerminatedPodThreshold,
                checkPeriod: Duration = .seconds(20), quarantine: Duration = .seconds(40)) {
        self.terminatedPodThreshold = terminatedPodThreshold
        self.checkPeriod = checkPeriod
        self.quarantine = quarantine
    }

    public func run(context: ControllerContext) async throws {
        let pods = context.informers.informer(core.v1.Pod.self)
        let nodes = context.informers.informer(core.v1.Node.self)
        // One key, looked at every checkPeriod; when each missing node was first missed (upstream's delaying
        // node queue) survives between looks.
        let missing = Mutex<[String: ControllerClock.Instant]>([:])
        let queue = context.queue(name: "pod_garbage_collector")
        let reconciler = ReconcileFunction { _ in
            var missingSince = missing.withLock { $0 }
            await collect(pods: pods.indexer.list(), nodes: nodes.indexer.list(), missingSince: &missingSince, context: context)
            missing.withLock { $0 = missingSince }
            return .after(checkPeriod)
        }
        await ReconcileRunner(name: name, reconciler: reconciler, queue: queue,
                              caches: [{ await pods.waitForSync() }, { await nodes.waitForSync() }],
                              sources: [{ await queue.add("pods") }], logger: context.logger).run()
    }

    /// One round (upstream's `gc`).
    func collect(pods: [core.v1.Pod], nodes: [core.v1.Node], missingSince: inout [String: ControllerClock.Instant],
                 context: ControllerContext) async {
        let nodesByName = Dictionary(nodes.map { ($0.objectName, $0) }, uniquingKeysWith: { first, _ in first })
        let overThreshold = PodGCDecisions.terminatedOverThreshold(pods, threshold: terminatedPodThreshold)
        if !overThreshold.isEmpty {
            context.logger.info("garbage collecting terminated pods", metadata: ["count": "\(overThreshold.count)"])
        }
        await forEachConcurrently(overThreshold) { await self.markFailedAndDelete($0, condition: nil, context: context) }
        await forEachConcurrently(PodGCDecisions.terminatingOnOutOfServiceNodes(pods, nodes: nodesByName)) {
            await self.markFailedAndDelete($0, condition: nil, context: context)
        }

        let gone = await deletedNodes(pods: pods, existing: Set(nodesByName.keys), missingSince: &missingSince,
                                      context: context)
        for pod in pods where gone.contains(pod.nodeName) {
            context.logger.info("deleting pod bound to a deleted node",
                                metadata: ["pod": "\(pod.objectKey)", "node": "\(pod.nodeName)"])
            await markFailedAndDelete(pod, condition: PodGCDecisions.orphanCondition, context: context)
        }

        for pod in PodGCDecisions.unscheduledTerminating(pods) {
            context.logger.info("deleting terminating pod that was never scheduled", metadata: ["pod": "\(pod.objectKey)"])
            await markFailedAndDelete(pod, condition: nil, context: context)
        }
    }

    /// The nodes pods are bound to that have been missing for the quarantine and that the API server
    /// confirms are gone. A node is checked once per quarantine: missed again, it waits another.
    func deletedNodes(pods: [core.v1.Pod], existing: Set<String>, missingSince: inout [String: ControllerClock.Instant],
                      context: ControllerContext) async -> Set<String> {
        let now = context.clock.now
        let missing = PodGCDecisions.missingNodes(pods: pods, existing: existing)
        missingSince = missingSince.filter { missing.contains($0.key) }
        for node in missing where missingSince[node] == nil { missingSince[node] = now }
        var gone = Set<String>()
        for (node, since) in missingSince where now - since >= quarantine {
            missingSince[node] = nil
            do {
                _ = try await context.client.nodes().get(node)
            } catch let error as APIError where error.isNotFound {
                gone.insert(node)
            } catch {
                context.logger.warning("checking a missing node failed", metadata: ["node": "\(node)", "error": "\(error)"])
            }
        }
        return gone
    }

    /// Marks `pod` Failed (with `condition`) unless it already finished, then deletes it with no grace
    /// period. The UID precondition spares a new pod of the same name.
    func markFailedAndDelete(_ pod: core.v1.Pod, condition: core.v1.PodCondition?, context: ControllerContext) async {
        let pods = context.client.pods(pod.objectNamespace)
        do {
            if let status = PodGCDecisions.failedStatus(pod, condition: condition, now: meta.v1.Time(context.clock.date)) {
                // The resourceVersion makes a stale cache fail rather than overwrite newer conditions;
                // the next round decides again.
                _ = try await pods.patch(pod.objectName, .merge(["metadata": ["uid": .string(pod.uid),
                                                                              "resourceVersion": .string(pod.objectResourceVersion)],
                                                                 "status": status.json]),
                                         subresource: "status")
            }
            try await pods.delete(pod.objectName, options: meta.v1.DeleteOptions(gracePeriodSeconds: 0,
                                                                                 preconditions: meta.v1.Preconditions(uid: pod.uid)))
        } catch let error as APIError where error.isNotFound {
            return
        } catch {
            if Task.isCancelled { return }
            context.logger.info("force-deleting pod failed", metadata: ["pod": "\(pod.objectKey)", "error": "\(error)"])
        }
    }

    /// Runs `body` for every element at once, as upstream does with one goroutine per pod (a bounded
    /// number of connections limits how many requests are really in flight).
    func forEachConcurrently(_ items: [core.v1.Pod], _ body: @escaping @Sendable (core.v1.Pod) async -> Void) async {
        guard !items.isEmpty else { return }
        await withDiscardingTaskGroup { group in
            for item in items { group.addTask { await body(item) } }
        }
    }
}
