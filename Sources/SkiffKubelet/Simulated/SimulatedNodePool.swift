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
/// two watches, not thousands; given the process's informer factory (`skiff server`), it shares those with
/// the controllers and the scheduler too.
public final class SimulatedNodePool: Service, Sendable {
    /// The annotation that silences a node's kubelet while its value is `stopped`.
    public static let heartbeatAnnotation = "sim.skiff.dev/heartbeat"

    let client: RESTClient
    let nodes: [String: SimulatedNodeSpec]
    let heartbeatInterval: Duration
    let logger: Logger
    let informers: SharedInformerFactory
    /// Whether the pool runs `informers` itself (it made them) or their owner does.
    let ownsInformers: Bool
    let podIPs = Mutex<[String: Int]>([:])
    var registration: NodeRegistration { NodeRegistration(client: client, logger: logger) }

    /// Pass `informers` to read from a factory the caller runs; else the pool runs its own.
    public init(client: RESTClient, nodes: [SimulatedNodeSpec], heartbeatInterval: Duration = .seconds(10),
                informers: SharedInformerFactory? = nil, logger: Logger) {
        self.client = client
        self.nodes = Dictionary(nodes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.heartbeatInterval = heartbeatInterval
        self.logger = logger
        self.informers = informers ?? SharedInformerFactory(client: client, transform: InformerTransforms.stripManagedFields, logger: logger)
        ownsInformers = informers == nil
    }

    public func run() async throws {
        try await registerAll()
        // Alone, the pool watches only scheduled pods; sharing, it takes the all-pods informer the others hold.
        let pods = informers.informer(core.v1.Pod.self, fieldSelector: ownsInformers ? "spec.nodeName!=" : "",
                                      indexers: ["node": { [$0.nodeName] }])
        let nodeInformer = informers.informer(core.v1.Node.self)
        let queue = WorkQueue<String, ContinuousClock>(clock: ContinuousClock())
        await cancelWhenGracefulShutdown { await self.work(pods: pods, nodeInformer: nodeInformer, queue: queue) }
    }

    private func work(pods: Informer<core.v1.Pod>, nodeInformer: Informer<core.v1.Node>,
                      queue: WorkQueue<String, ContinuousClock>) async {
        await withDiscardingTaskGroup { group in
            if ownsInformers { group.addTask { try? await self.informers.run() } }
            group.addTask { await self.heartbeats(nodes: nodeInformer) }
            group.addTask {
                for await event in pods.events() {
                    let pod = event.object
                    guard self.nodes[pod.nodeName] != nil else { continue }
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

    static func isSilenced(_ node: core.v1.Node?) -> Bool {
        node?.annotations[heartbeatAnnotation] == "stopped"
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
        try await registration.register(name: spec.name, object: spec.nodeObject(now: Date()),
                                        status: { spec.status(now: Date(), ready: true) })
    }

    func reportStatus(_ spec: SimulatedNodeSpec, ready: Bool) async throws {
        try await registration.reportStatus(name: spec.name, status: spec.status(now: Date(), ready: ready))
    }

    func renewLease(_ name: String) async throws { try await registration.renewLease(name: name) }

    /// Every interval: renew each live node's Lease, and report Ready again where the node lifecycle
    /// controller marked a node that is (again) heartbeating as not ready.
    func heartbeats(nodes informer: Informer<core.v1.Node>) async {
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
                            if let node, !node.isReady { try await self.reportStatus(spec, ready: true) }
                        } catch {
                            self.logger.debug("heartbeat failed", metadata: ["node": "\(spec.name)", "error": "\(error)"])
                        }
                    }
                }
            }
            do { try await Task.sleep(for: heartbeatInterval) } catch { return }
        }
    }
}
