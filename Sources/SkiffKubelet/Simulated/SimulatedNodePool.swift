import Foundation
public import Logging
public import ServiceLifecycle
public import SkiffClient
import SkiffAPI
import Synchronization

/// Many simulated nodes in one process (`--simulated-nodes N`, `skiff agent --runtime simulated`): each
/// registers a Node, renews its Lease, turns the pods bound to it Running with container statuses and
/// an IP, and finishes their graceful deletion. A node stops heartbeating (and working) while annotated
/// `sim.skiff.dev/heartbeat=stopped`, so a node failure can be staged.
///
/// The pool shares one pod watch and one node watch among all its nodes, so thousands of nodes cost
/// two watches, not thousands.
public final class SimulatedNodePool: Service, Sendable {
    /// The annotation that silences a node's kubelet while its value is `stopped`.
    public static let heartbeatAnnotation = "sim.skiff.dev/heartbeat"

    let client: RESTClient
    let nodes: [String: SimulatedNodeSpec]
    let heartbeatInterval: Duration
    let logger: Logger
    let informers: SharedInformerFactory
    let podIPs = Mutex<[String: Int]>([:])

    public init(client: RESTClient, nodes: [SimulatedNodeSpec], heartbeatInterval: Duration = .seconds(10),
                logger: Logger) {
        self.client = client
        self.nodes = Dictionary(nodes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.heartbeatInterval = heartbeatInterval
        self.logger = logger
        informers = SharedInformerFactory(client: client, transform: InformerTransforms.stripManagedFields, logger: logger)
    }

    public func run() async throws {
        try await registerAll()
        let pods = informers.informer(JSONValue.self, for: ResourcePath(group: "", version: "v1", resource: "pods"),
                                      fieldSelector: "spec.nodeName!=",
                                      indexers: ["node": { [$0["spec"]?["nodeName"]?.stringValue ?? ""] }])
        let nodeInformer = informers.informer(JSONValue.self, for: ResourcePath(group: "", version: "v1", resource: "nodes"))
        let queue = WorkQueue<String, ContinuousClock>(clock: ContinuousClock())
        await cancelWhenGracefulShutdown { await self.work(pods: pods, nodeInformer: nodeInformer, queue: queue) }
    }

    private func work(pods: Informer<JSONValue>, nodeInformer: Informer<JSONValue>,
                      queue: WorkQueue<String, ContinuousClock>) async {
        await withDiscardingTaskGroup { group in
            group.addTask { try? await self.informers.run() }
            group.addTask { await self.heartbeats(nodes: nodeInformer) }
            group.addTask {
                for await event in pods.events() {
                    let pod = event.object
                    guard self.nodes[pod["spec"]?["nodeName"]?.stringValue ?? ""] != nil else { continue }
                    if case .deleted = event { continue }
                    await queue.add(pod.objectKey)
                }
            }
            group.addTask {
                // A node that comes back looks at its pods again (they waited while it was silent).
                for await event in nodeInformer.events() {
                    guard case .updated(let old, let new) = event, self.nodes[new.objectName] != nil,
                          Self.isSilenced(old), !Self.isSilenced(new) else { continue }
                    for pod in pods.indexer.byIndex("node", new.objectName) { await queue.add(pod.objectKey) }
                }
            }
            for _ in 0..<8 {
                group.addTask {
                    while let key = await queue.get() {
                        do {
                            try await self.sync(key: key, pods: pods, nodes: nodeInformer)
                            await queue.forget(key)
                        } catch {
                            self.logger.debug("pod sync failed; retrying", metadata: ["pod": "\(key)", "error": "\(error)"])
                            await queue.addRateLimited(key)
                        }
                        await queue.done(key)
                    }
                }
            }
            group.addTask {
                // On cancellation the workers must leave `queue.get()`.
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                await queue.shutDown()
            }
        }
    }

    static func isSilenced(_ node: JSONValue?) -> Bool {
        node?["metadata"]?["annotations"]?[heartbeatAnnotation]?.stringValue == "stopped"
    }

    // MARK: Registration and heartbeats

    /// Creates every Node (or finds it from an earlier run) and reports it Ready.
    func registerAll() async throws {
        let specs = Array(nodes.values)
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func addNext() {
                guard next < specs.count else { return }
                let spec = specs[next]
                next += 1
                group.addTask { try await self.register(spec) }
            }
            for _ in 0..<min(16, specs.count) { addNext() }
            while try await group.next() != nil { addNext() }
        }
        logger.info("simulated nodes registered", metadata: ["nodes": "\(specs.count)"])
    }

    func register(_ spec: SimulatedNodeSpec) async throws {
        let now = Date()
        var delay: Duration = .milliseconds(200)
        while true {
            do {
                do {
                    _ = try await client.json(.POST, "/api/v1/nodes", body: spec.nodeObject(now: now))
                } catch let error as APIError where error.code == 409 {}
                try await reportStatus(spec, ready: true)
                try await renewLease(spec.name)
                return
            } catch let error as APIError where error.code < 500 && error.code != 429 {
                throw error
            } catch {
                // The API server may still be starting.
                logger.debug("registering node failed; retrying", metadata: ["node": "\(spec.name)", "error": "\(error)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    func reportStatus(_ spec: SimulatedNodeSpec, ready: Bool) async throws {
        _ = try await client.json(.PATCH, "/api/v1/nodes/\(spec.name)/status",
                                  body: ["status": spec.status(now: Date(), ready: ready)],
                                  contentType: "application/merge-patch+json")
    }

    /// Renews (or creates) the node's Lease in `kube-node-lease`, as the kubelet does every 10 s.
    func renewLease(_ name: String) async throws {
        let now = JSONValue.string(meta.v1.MicroTime(Date()).rfc3339)
        do {
            _ = try await client.json(.PATCH, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/\(name)",
                                      body: ["spec": ["holderIdentity": .string(name), "renewTime": now]],
                                      contentType: "application/merge-patch+json")
        } catch let error as APIError where error.code == 404 {
            _ = try await client.json(.POST, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", body: [
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": ["name": .string(name), "namespace": "kube-node-lease"],
                "spec": ["holderIdentity": .string(name), "leaseDurationSeconds": 40, "renewTime": now],
            ])
        }
    }

    /// Every interval: renew each live node's Lease, and report Ready again where the node lifecycle
    /// controller marked a node that is (again) heartbeating as not ready.
    func heartbeats(nodes informer: Informer<JSONValue>) async {
        while !Task.isCancelled {
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                for spec in nodes.values {
                    let node = informer.indexer.get(key: spec.name)
                    if Self.isSilenced(node) { continue }
                    if running >= 16 {
                        await group.next()
                        running -= 1
                    }
                    running += 1
                    group.addTask {
                        do {
                            try await self.renewLease(spec.name)
                            if let node, !Self.isReady(node) { try await self.reportStatus(spec, ready: true) }
                        } catch {
                            self.logger.debug("heartbeat failed", metadata: ["node": "\(spec.name)", "error": "\(error)"])
                        }
                    }
                }
            }
            do { try await Task.sleep(for: heartbeatInterval) } catch { return }
        }
    }

    static func isReady(_ node: JSONValue) -> Bool {
        (node["status"]?["conditions"]?.arrayValue ?? []).contains {
            $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
        }
    }
}
