public import Foundation
public import Logging
public import ServiceLifecycle
import SkiffAPI
public import SkiffClient
import Synchronization

/// `kube-controller-manager`: runs a set of controllers, sharing one informer factory, while it holds
/// the `kube-system/kube-controller-manager` Lease. A second instance is a hot standby that takes over
/// when the leader stops renewing; every term starts its controllers afresh (and, unless the process shares
/// one factory among its components, fresh informers), so nothing a crashed or deposed leader knew is needed. A `Service`: `run()` returns on graceful shutdown or cancellation.
public final class ControllerManager: Service, Sendable {
    /// How the manager runs (defaults are kube-controller-manager's).
    public struct Configuration: Sendable {
        /// Campaign for the lease before running controllers (`--leader-elect`).
        public var leaderElect: Bool
        public var leaseNamespace: String
        public var leaseName: String
        /// This instance's identity in the lease: `hostname_uuid`.
        public var identity: String
        public var leaseDuration: Duration
        public var renewDeadline: Duration
        public var retryPeriod: Duration
        /// Give the lease up on shutdown so a standby takes over at once (`ReleaseOnCancel`).
        public var releaseOnCancel: Bool
        /// The controllers to run.
        public var controllers: [any Controller]
        /// How often informers replay their cache to handlers (nil: never).
        public var resyncPeriod: Duration?
        /// The delay before a crashed controller runs again (grows with each crash in a row).
        public var restartBackoff: ExponentialBackoff
        /// Connections to the API server at most: every watched resource holds one (the garbage
        /// collector watches them all), and requests need more.
        public var maximumConnections: Int
        /// The clock controllers wait on and stamp objects with (a manual one lets tests step time).
        public var clock: ControllerClock

        public init(leaderElect: Bool = true, leaseNamespace: String = "kube-system",
                    leaseName: String = "kube-controller-manager",
                    identity: String = ControllerManager.defaultIdentity(), leaseDuration: Duration = .seconds(15),
                    renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2),
                    releaseOnCancel: Bool = true, controllers: [any Controller] = ControllerManager.defaultControllers,
                    resyncPeriod: Duration? = nil,
                    restartBackoff: ExponentialBackoff = ExponentialBackoff(base: .milliseconds(500), maximum: .seconds(30)),
                    maximumConnections: Int = 1024, clock: ControllerClock = .system) {
            self.leaderElect = leaderElect
            self.leaseNamespace = leaseNamespace
            self.leaseName = leaseName
            self.identity = identity
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
            self.releaseOnCancel = releaseOnCancel
            self.controllers = controllers
            self.resyncPeriod = resyncPeriod
            self.restartBackoff = restartBackoff
            self.maximumConnections = maximumConnections
            self.clock = clock
        }
    }

    /// The controllers `skiff controller-manager` runs by default (no root CA publisher: no CA is known).
    public static var defaultControllers: [any Controller] { defaultControllers() }

    /// The default controllers with these settings; the root CA publisher runs only when a CA bundle is given.
    public static func defaultControllers(terminatedPodGCThreshold: Int = PodGCController.defaultTerminatedPodThreshold,
                                          rootCA: String? = nil) -> [any Controller] {
        var controllers: [any Controller] = [
            GarbageCollector(), NamespaceController(), ReplicaSetController(), DeploymentController(), DisruptionController(),
            PodGCController(terminatedPodThreshold: terminatedPodGCThreshold), ServiceAccountsController(),
            EndpointSliceController(), EndpointsController(), ServiceLoadBalancerController(),
        ]
        if let rootCA, !rootCA.isEmpty { controllers.append(RootCACertPublisher(rootCA: rootCA)) }
        return controllers
    }

    /// `hostname_uuid`, as upstream's leader election identity.
    public static func defaultIdentity() -> String {
        "\(ProcessInfo.processInfo.hostName)_\(UUID().uuidString.lowercased())"
    }

    enum ClientSource: Sendable {
        case config(ClientConfig)
        case kubeconfig(URL)
    }

    let source: ClientSource
    public let configuration: Configuration
    let logger: Logger
    let leading = Mutex(false)
    /// The informers of the whole process (`skiff server`), run by their owner; nil: each term makes its own.
    let sharedInformers: SharedInformerFactory?

    /// A manager that reaches the API server as `config` says (with a connection pool of its own). With
    /// `informers`, the controllers read from that factory, which the caller runs (one watch per resource
    /// for every component of a process); its caches mirror the API server, so a new term may reuse them.
    public init(config: ClientConfig, configuration: Configuration = Configuration(), informers: SharedInformerFactory? = nil,
                logger: Logger) {
        source = .config(config)
        self.configuration = configuration
        self.sharedInformers = informers
        self.logger = logger
    }

    /// A manager that connects with the kubeconfig at `kubeconfig` once the file exists (inside
    /// `skiff server` the API server writes it as it starts), and closes its connections when done.
    public init(kubeconfig: URL, configuration: Configuration = Configuration(), logger: Logger) {
        source = .kubeconfig(kubeconfig)
        self.configuration = configuration
        self.sharedInformers = nil
        self.logger = logger
    }

    /// Whether this instance holds the lease and runs the controllers now.
    public var isLeader: Bool { leading.withLock { $0 } }

    public var identity: String { configuration.identity }

    /// Connects, waits for the API server to be ready, then campaigns and leads until graceful shutdown or
    /// cancellation (releasing the lease if configured). Throws only when the kubeconfig cannot be used.
    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            let client: RESTClient
            do { client = try await self.connectWhenReady() } catch {
                if error is CancellationError || Task.isCancelled { return }
                throw error
            }
            do { try await self.campaign(client) } catch {
                try? await client.shutdown()
                if error is CancellationError || Task.isCancelled { return }
                throw error
            }
            try? await client.shutdown()
        }
    }

    func makeClient(_ config: ClientConfig) throws -> RESTClient {
        var config = config
        config.userAgent = "skiff-controller-manager/0.1.0"
        return try RESTClient(config: config, maximumConnections: configuration.maximumConnections)
    }

    /// A client of an API server that answers `/readyz` with 200 (upstream waits on `/healthz`). A
    /// kubeconfig is read again whenever the file changes meanwhile (a server restarting on another port).
    func connectWhenReady() async throws -> RESTClient {
        var client: RESTClient?
        var readStamp: Date?
        var warned = false
        do {
            while true {
                try Task.checkCancellation()
                switch source {
                case .config(let config):
                    if client == nil { client = try makeClient(config) }
                case .kubeconfig(let url):
                    let stamp = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
                    if let stamp, stamp != readStamp {
                        try? await client?.shutdown()
                        client = nil
                        client = try makeClient(try ClientConfig.fromKubeconfig(path: url.path))
                        readStamp = stamp
                    }
                }
                if let client, let response = try? await client.send(.GET, "/readyz", accept: "text/plain", timeout: .seconds(5)),
                   response.status.code == 200 {
                    return client
                }
                if !warned {
                    logger.info("waiting for the API server to be ready", metadata: ["server": "\(client?.config.server ?? "-")"])
                    warned = true
                }
                try await Task.sleep(for: .milliseconds(250))
            }
        } catch {
            try? await client?.shutdown()
            throw error
        }
    }

    /// Leads whenever it holds the lease; after losing it, stops every controller and campaigns again.
    func campaign(_ client: RESTClient) async throws {
        guard configuration.leaderElect else {
            await lead(client)
            return
        }
        let election = LeaderElectionConfig(namespace: configuration.leaseNamespace, name: configuration.leaseName,
                                            identity: configuration.identity, leaseDuration: configuration.leaseDuration,
                                            renewDeadline: configuration.renewDeadline, retryPeriod: configuration.retryPeriod)
        let elector = LeaderElector(client: client, config: election, logger: logger)
        while !Task.isCancelled {
            do {
                try await elector.runOnce { await self.lead(client) }
                if !Task.isCancelled { logger.warning("leadership lost; controllers stopped, campaigning again") }
            } catch {
                if Task.isCancelled { break }
                logger.warning("leader election failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: configuration.retryPeriod)
            }
        }
        if configuration.releaseOnCancel {
            // A cancelled task cannot send requests: release from a task of its own.
            await Task { await elector.release() }.value
        }
    }

    /// Runs the controllers (with fresh informers unless the process shares its own) until cancelled.
    func lead(_ client: RESTClient) async {
        leading.withLock { $0 = true }
        defer { leading.withLock { $0 = false } }
        logger.info("starting controllers", metadata: ["controllers": "\(configuration.controllers.map(\.name))"])
        // Controllers never read managedFields; dropping them roughly halves what the caches hold.
        let owned = sharedInformers == nil
        let informers = sharedInformers ?? SharedInformerFactory(client: client, resyncPeriod: configuration.resyncPeriod,
                                                                 transform: InformerTransforms.stripManagedFields, logger: logger)
        let events = EventRecorders(client: client, logger: logger)
        let context = ControllerContext(client: client, informers: informers, events: events, logger: logger,
                                        clock: configuration.clock)
        await withDiscardingTaskGroup { group in
            if owned { group.addTask { try? await informers.run() } }
            group.addTask { await events.run() }
            for controller in configuration.controllers {
                group.addTask { await self.supervise(controller, context: context) }
            }
        }
        logger.info("controllers stopped")
    }

    /// Runs one controller, running it again after a backoff whenever it fails or returns.
    func supervise(_ controller: any Controller, context: ControllerContext) async {
        var log = context.logger
        log[metadataKey: "controller"] = "\(controller.name)"
        let controllerContext = ControllerContext(client: context.client, informers: context.informers,
                                                  events: context.events, logger: log, clock: context.clock)
        var crashes = 0
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                try await controller.run(context: controllerContext)
                if Task.isCancelled { return }
                log.error("controller returned unexpectedly; restarting")
            } catch {
                if Task.isCancelled { return }
                log.error("controller failed; restarting", metadata: ["error": "\(error)"])
            }
            if ContinuousClock.now - started > .seconds(60) { crashes = 0 }
            do { try await Task.sleep(for: configuration.restartBackoff.delay(forFailures: crashes)) } catch { return }
            crashes += 1
        }
    }
}
