import Foundation
import Logging
import SkiffAPI
import SkiffClient
import Synchronization

/// The node lifecycle controller (upstream's `pkg/controller/nodelifecycle`): watches each node's Lease
/// and Ready heartbeat; a node not heard from for `gracePeriod` (`--node-monitor-grace-period`) gets its
/// kubelet's conditions set to Unknown. Nodes whose Ready condition is not True carry the
/// `node.kubernetes.io/not-ready` or `unreachable` taints (NoSchedule and NoExecute), and pods on them
/// that do not tolerate a NoExecute taint are deleted — at once, or after their `tolerationSeconds`
/// (the API server gives every pod 300 s for both by default, `--default-*-toleration-seconds`).
public struct NodeLifecycleController: Controller {
    public var name: String { "node-lifecycle-controller" }
    public var gracePeriod: Duration
    /// How often every node is looked at (upstream's `--node-monitor-period`, 5 s; shorter for short graces).
    public var monitorPeriod: Duration

    public init(gracePeriod: Duration = .seconds(40), monitorPeriod: Duration? = nil) {
        self.gracePeriod = gracePeriod
        self.monitorPeriod = monitorPeriod ?? min(.seconds(5), max(.milliseconds(500), gracePeriod / 5))
    }

    struct Observation {
        var probe: String
        var at: ControllerClock.Instant
    }

    public func run(context: ControllerContext) async throws {
        let nodes = context.informers.informer(core.v1.Node.self)
        let leases = context.informers.informer(coordination.v1.Lease.self, namespace: "kube-node-lease")
        // Shared with other controllers, which may have made it first without extra indexers: pods are
        // grouped by node once per round instead.
        let pods = context.informers.informer(core.v1.Pod.self)
        let events = context.events.recorder(component: "node-controller")
        // One key, looked at every monitorPeriod: what was last heard from each node survives between looks.
        let observations = Mutex<[String: Observation]>([:])
        let queue = context.queue(name: "node_lifecycle")
        let reconciler = ReconcileFunction { _ in
            var current = observations.withLock { $0 }
            await monitor(nodes: nodes, leases: leases, pods: pods, events: events, context: context, observations: &current)
            observations.withLock { $0 = current }
            return .after(monitorPeriod)
        }
        await ReconcileRunner(name: name, reconciler: reconciler, queue: queue,
                              caches: [{ await nodes.waitForSync() }, { await leases.waitForSync() }, { await pods.waitForSync() }],
                              sources: [{ await queue.add("nodes") }], logger: context.logger).run()
    }

    /// One look at every node: mark the silent ones unknown, keep taints, evict from unready nodes.
    func monitor(nodes: Informer<core.v1.Node>, leases: Informer<coordination.v1.Lease>, pods: Informer<core.v1.Pod>,
                 events: EventRecorder,
                 context: ControllerContext, observations: inout [String: Observation]) async {
        let now = context.clock.now
        var seen = Set<String>()
        var podsByNode: [String: [core.v1.Pod]] = [:]
        for pod in pods.indexer.list() {
            let node = pod.nodeName
            guard !node.isEmpty else { continue }
            podsByNode[node, default: []].append(pod)
        }
        for node in nodes.indexer.list() {
            let name = node.objectName
            seen.insert(name)
            let lease = leases.indexer.get(namespace: "kube-node-lease", name: name)
            let probe = (lease?.spec?.renewTime?.rfc3339 ?? "") + "|"
                + (NodeHealth.condition("Ready", of: node)?.lastHeartbeatTime?.rfc3339 ?? "")
            if let previous = observations[name], previous.probe == probe {
                if now - previous.at > gracePeriod {
                    await markUnknown(node, context: context, events: events)
                }
            } else {
                // Heard from (or first seen: the grace starts now, as upstream's does after a restart).
                observations[name] = Observation(probe: probe, at: now)
            }
            await reconcileTaints(node, context: context)
            await evict(from: node, pods: podsByNode[name] ?? [], context: context, events: events)
        }
        observations = observations.filter { seen.contains($0.key) }
    }

    func markUnknown(_ node: core.v1.Node, context: ControllerContext, events: EventRecorder) async {
        guard let conditions = NodeHealth.conditionsMarkedUnknown(node, now: meta.v1.Time(context.clock.date)) else { return }
        do {
            _ = try await context.client.nodes().patch(
                node.objectName,
                .merge(["metadata": ["resourceVersion": .string(node.objectResourceVersion)],
                        "status": ["conditions": .array(conditions.map(\.json))]]),
                subresource: "status")
            context.logger.info("node stopped posting status", metadata: ["node": "\(node.objectName)"])
            events.record(EventRecorder.ObjectReference(node), type: "Normal", reason: "NodeNotReady",
                          message: "Node \(node.objectName) status is now: NodeNotReady")
        } catch {
            // A conflict means the node changed (perhaps its kubelet spoke): the next round decides again.
            context.logger.debug("marking node unknown failed", metadata: ["node": "\(node.objectName)", "error": "\(error)"])
        }
    }

    func reconcileTaints(_ node: core.v1.Node, context: ControllerContext) async {
        let taints = node.spec?.taints ?? []
        let wanted = NodeHealth.wantedTaintKey(readyStatus: NodeHealth.readyStatus(node))
        guard let updated = NodeHealth.reconcileTaints(taints, wantedKey: wanted, now: meta.v1.Time(context.clock.date)) else { return }
        do {
            _ = try await context.client.nodes().patch(
                node.objectName,
                .merge(["metadata": ["resourceVersion": .string(node.objectResourceVersion)],
                        "spec": ["taints": updated.isEmpty ? nil : .array(updated.map(\.json))]]))
        } catch {
            context.logger.debug("updating node taints failed", metadata: ["node": "\(node.objectName)", "error": "\(error)"])
        }
    }

    func evict(from node: core.v1.Node, pods: [core.v1.Pod], context: ControllerContext, events: EventRecorder) async {
        let taints = node.spec?.taints ?? []
        guard taints.contains(where: { $0.effect == "NoExecute" }) else { return }
        let now = context.clock.date
        for pod in pods where !pod.isBeingDeleted {
            let tolerations = pod.spec?.tolerations ?? []
            guard let at = NodeHealth.evictionTime(tolerations: tolerations, taints: taints, now: now), at <= now else { continue }
            do {
                try await context.client.pods(pod.objectNamespace).delete(
                    pod.objectName, options: meta.v1.DeleteOptions(preconditions: meta.v1.Preconditions(uid: pod.uid)))
                events.record(EventRecorder.ObjectReference(pod), type: "Normal", reason: "TaintManagerEviction",
                              message: "Marking for deletion Pod \(pod.objectNamespace)/\(pod.objectName)")
            } catch {
                context.logger.debug("evicting pod failed", metadata: ["pod": "\(pod.objectKey)", "error": "\(error)"])
            }
        }
    }
}
