public import Foundation
public import Logging
public import ServiceLifecycle
public import SkiffClient
import SkiffAPI
import SkiffImages

/// The kubelet of a node whose pods run on a `ContainerRuntime` (`RuncRuntime` or `ProcessRuntime`): it registers
/// the Node and renews its Lease, watches only the pods bound to it (`spec.nodeName=<node>`), runs one
/// `PodMachine` per pod, writes pod status through `pods/status` when it changed, and finishes graceful
/// deletions. On start it kills containers an earlier run left; on shutdown it stops its containers.
public final class Kubelet: Service, Sendable {
    public struct Configuration: Sendable {
        public var nodeName: String
        /// `DATA_DIR`: images in `images/`, pods in `pods/`.
        public var dataDirectory: URL
        public var heartbeatInterval: Duration = .seconds(10)
        /// How long shutdown waits for containers after SIGTERM.
        public var shutdownGrace: Duration = .seconds(5)
        /// How long a container waits to be tried again after `CreateContainerConfigError` or a failed mount
        /// (upstream's pod worker back-off period).
        public var syncRetry: Duration = .seconds(10)
        /// How often running pods' configMap, secret and downward API volumes are refreshed (`--sync-frequency`).
        public var syncFrequency: Duration = .seconds(60)
        /// The node's pod range (`spec.podCIDR`), from which the runtime gives pods their addresses.
        public var podCIDR: String?
        /// The kubelet API's port (`KubeletServer`; 0: any free one) and the CA whose client certificates it
        /// accepts (nil: no API, so no logs or exec).
        public var serverPort = 10250
        public var clientCAPEM: String?
        /// Nameservers of `ClusterFirst` pods (`--cluster-dns`, e.g. `["10.96.0.10"]`); empty: no cluster DNS,
        /// and those pods get the node's resolver configuration, as upstream falls back to `Default`.
        public var clusterDNS: [String] = []
        /// The cluster's domain (`--cluster-domain`): pods search `<ns>.svc.<domain> svc.<domain> <domain>`.
        public var clusterDomain = "cluster.local"
        /// The node's resolver file (`--resolv-conf`), the base of `Default` pods and the source of the search
        /// domains appended for cluster-first pods; empty: none.
        public var resolvConf = "/etc/resolv.conf"

        public init(nodeName: String, dataDirectory: URL) {
            self.nodeName = nodeName
            self.dataDirectory = dataDirectory
        }
    }

    let client: RESTClient
    let configuration: Configuration
    let runtime: any ContainerRuntime
    let logger: Logger
    let hostIP: String

    /// A kubelet running its pods on `runtime` (e.g. `RuncRuntime`, `ProcessRuntime(dataDirectory:)`).
    public init(client: RESTClient, configuration: Configuration, runtime: any ContainerRuntime, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.runtime = runtime
        self.logger = logger
        self.hostIP = NodeInfo.hostIP()
    }

    public func run() async throws {
        let images = try ImageStore(dataDirectory: configuration.dataDirectory)
        runtime.cleanUpLeftovers()
        let name = configuration.nodeName
        let registration = NodeRegistration(client: client, logger: logger)
        let queue = WorkQueue<String, ContinuousClock>(clock: ContinuousClock())
        // Events as the kubelet's: from `kubelet` on this node, about the pod or one of its containers. They
        // wait while containers are being started (a second at most), so a burst of pods is not slowed by
        // the writes of its own Pulled, Created and Started events.
        let starts = StartsUnderWay()
        let recorder = EventRecorder(client: client, component: "kubelet", host: name, logger: logger,
                                     holdWhile: { starts.isBusy })
        let client = self.client
        let configSource = PodConfigSource(
            configMap: { namespace, name in try await Self.getUnlessNotFound(client.configMaps(namespace), name) },
            secret: { namespace, name in try await Self.getUnlessNotFound(client.secrets(namespace), name) })
        let workers = PodWorkers(runtime: runtime, images: images, hostIP: hostIP, logger: logger, configSource: configSource,
                                 podsDirectory: configuration.dataDirectory.appendingPathComponent("pods"),
                                 syncRetry: configuration.syncRetry, syncFrequency: configuration.syncFrequency,
                                 startsUnderWay: starts, dns: podDNS(),
                                 notify: { uid in Task { await queue.add(uid) } },
                                 record: { pod, event in
                                     var object = EventRecorder.ObjectReference(pod)
                                     object.fieldPath = event.fieldPath
                                     recorder.record(object, type: event.type, reason: event.reason, message: event.message)
                                 })
        let server = configuration.clientCAPEM.map { ca in
            KubeletServer(configuration: .init(nodeName: name, clientCAPEM: ca, port: configuration.serverPort, addresses: [hostIP]),
                          locator: workers, runtime: runtime, logger: logger)
        }
        var node = NodeInfo(name: name, hostIP: hostIP, runtimeVersion: runtime.version, podCIDR: configuration.podCIDR)
        node.enforcesLimits = runtime.enforcesLimits
        // No kubelet API (no cluster CA to check callers with): the Node advertises no port rather than 10250.
        if server == nil { node.kubeletPort = 0 }
        if let server {
            // Pods still run without the API (e.g. the port is taken); only logs and exec are lost, so say so.
            do { node.kubeletPort = try await server.start() } catch {
                logger.error("the kubelet API cannot listen: no logs, exec or port-forward on this node",
                             metadata: ["port": "\(configuration.serverPort)", "error": "\(error)"])
                node.kubeletPort = 0
            }
        }
        let info = node
        try await registration.register(name: name, object: info.nodeObject(now: Date()),
                                        status: { info.status(now: Date()) })
        logger.info("node registered", metadata: ["node": "\(name)", "runtime": "\(runtime.version)", "ip": "\(hostIP)"])
        let informers = SharedInformerFactory(client: client, transform: InformerTransforms.stripManagedFields, logger: logger)
        let pods = informers.informer(core.v1.Pod.self, fieldSelector: "spec.nodeName=\(name)")
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { try? await informers.run() }
                group.addTask { await recorder.run() }
                group.addTask {
                    for await event in pods.events() {
                        switch event {
                        case .added(let pod): await workers.update(pod)
                        case .updated(_, let pod): await workers.update(pod)
                        case .deleted(let pod, _): await workers.removed(pod)
                        }
                    }
                }
                group.addTask {
                    for await exit in self.runtime.exits {
                        await workers.exited(exit)
                        server?.containerExited(exit.containerID)
                    }
                }
                group.addTask { await self.heartbeats(registration: registration, info: info) }
                for _ in 0..<2 {
                    group.addTask {
                        while let uid = await queue.get() {
                            if let hold = await workers.statusHold(uid) {
                                // The start's end brings the pod back sooner (see `statusHold`).
                                await queue.add(uid, after: hold)
                                await queue.done(uid)
                                continue
                            }
                            do {
                                try await self.write(uid, workers: workers)
                                await queue.forget(uid)
                            } catch {
                                self.logger.debug("pod status write failed; retrying", metadata: ["pod": "\(uid)", "error": "\(error)"])
                                await queue.addRateLimited(uid)
                            }
                            await queue.done(uid)
                        }
                    }
                }
                group.addTask {
                    while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                    await queue.shutDown()
                }
            }
        }
        // Neither runtime can adopt containers after a restart, so none are left to run unwatched.
        await workers.cancelTimers()
        await server?.stop()
        await runtime.shutdown(grace: configuration.shutdownGrace)
    }

    /// Writes what a pod needs: its status (merge patch with a uid precondition), or its final deletion.
    func write(_ uid: String, workers: PodWorkers) async throws {
        guard let write = await workers.pendingWrite(uid) else { return }
        let pods = client.pods(write.namespace)
        if write.delete {
            do {
                try await pods.delete(write.name, options: meta.v1.DeleteOptions(gracePeriodSeconds: 0,
                                                                                 preconditions: meta.v1.Preconditions(uid: uid)))
            } catch let error as APIError where error.code == 404 || error.code == 409 {}
            await workers.written(uid, status: nil, deleted: true)
            return
        }
        guard let status = write.status else { return }
        do {
            _ = try await pods.patch(write.name, .merge(["metadata": ["uid": .string(uid)], "status": status.json]),
                                     subresource: "status")
        } catch let error as APIError where error.code == 404 || error.code == 409 {
            return
        }
        await workers.written(uid, status: status, deleted: false)
        // The machine may have moved on while the write was in flight.
        if await workers.pendingWrite(uid) != nil { throw RetryNow() }
    }

    struct RetryNow: Error {}

    func heartbeats(registration: NodeRegistration, info: NodeInfo) async {
        var beats = 0
        while !Task.isCancelled {
            do { try await Task.sleep(for: configuration.heartbeatInterval) } catch { return }
            beats += 1
            do {
                try await registration.renewLease(name: configuration.nodeName)
                // Status every minute (and so Ready again after the lifecycle controller marked it otherwise).
                let ready = try await isReady()
                if beats % 6 == 0 || !ready {
                    try await registration.reportStatus(name: configuration.nodeName, status: info.status(now: Date()))
                }
            } catch {
                logger.debug("heartbeat failed", metadata: ["error": "\(error)"])
            }
        }
    }

    func isReady() async throws -> Bool {
        try await client.nodes().get(configuration.nodeName).isReady
    }

    /// The object, or nil when the API server has none of that name.
    static func getUnlessNotFound<Object>(_ api: Api<Object>, _ name: String) async throws -> Object? {
        do {
            return try await api.get(name)
        } catch let error as APIError where error.code == 404 {
            return nil
        }
    }
}
