import Foundation
import Logging
import ServiceLifecycle
import SkiffAPIServer
import SkiffClient
import SkiffControllers
import SkiffKubelet
import SkiffProxy
import SkiffScheduler

/// The components `skiff server` runs beside the API server, talking to it through its API like any other
/// client (the seed: every component lists and watches through the API server), over the server's unix
/// socket without TLS where it has one. Each runs under a `ComponentSupervisor`: one that dies is restarted
/// with back-off, and `/readyz` fails (`?verbose` names `component/<name>`) until it runs again. The controller
/// manager, the scheduler and the simulated nodes share one informer factory: one watch and one cache per
/// resource in the process.
struct InProcessComponents: Service {
    let apiServer: APIServer
    let nodes: NodeOptions
    let controllerOptions: ControllerOptions
    let serviceOptions: ServiceOptions
    let logger: Logger

    func run() async throws {
        let port = try await apiServer.listeningPort()
        let host = ["0.0.0.0", "::", ""].contains(apiServer.configuration.bindAddress)
            ? "127.0.0.1" : apiServer.configuration.bindAddress
        let network = "https://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        let config = ClientConfig(server: await apiServer.localURL() ?? network,
                                  certificateAuthorityPEM: apiServer.pki.caCertificatePEM,
                                  bearerToken: apiServer.adminToken, userAgent: "skiff-server")
        let client = try RESTClient(config: config)
        let runtime = nodes.resolvedRuntime
        var specs: [SimulatedNodeSpec] = []
        if runtime == "simulated" { specs.append(SimulatedNodeSpec(name: nodes.localNodeName, index: 0)) }
        // The local node holds 10.244.0.0/24 (a runc node's bridge uses it); simulated ones take the next.
        let offset = runtime == "none" ? 0 : 1
        for index in 0..<nodes.simulatedNodes {
            specs.append(SimulatedNodeSpec(name: "sim-node-\(index)", index: index + offset))
        }
        // No component reads managedFields; dropping them roughly halves what the caches hold.
        // Each watched resource holds a connection (the garbage collector watches them all): the watches get a
        // pool of their own, so they never wait behind requests or leave requests waiting behind them.
        let watchClient = try RESTClient(config: config, maximumConnections: 1024)
        let informers = SharedInformerFactory(client: watchClient, transform: InformerTransforms.stripManagedFields,
                                              logger: Logger(label: "skiff.informers"))
        let controllers = ControllerManager(
            config: config,
            configuration: .init(controllers: ControllerManager.defaultControllers(
                terminatedPodGCThreshold: controllerOptions.terminatedPodGCThreshold, rootCA: apiServer.pki.caCertificatePEM)
                + [NodeLifecycleController(gracePeriod: nodes.gracePeriod)]),
            informers: informers, logger: Logger(label: "skiff.controller-manager"))
        let apiServer = self.apiServer
        /// Each component restarts with back-off when it dies, and is a `/readyz` check meanwhile.
        func supervised(_ name: String, _ body: @escaping @Sendable () async throws -> Void) -> @Sendable () async -> Void {
            let supervisor = ComponentSupervisor(name: name, logger: logger,
                                                 health: { apiServer.setComponentReady(name, $0) }, run: body)
            return { await supervisor.run() }
        }
        await withDiscardingTaskGroup { group in
            group.addTask { try? await informers.run() }
            group.addTask(operation: supervised("controller-manager") { try await controllers.run() })
            // Leader-elected, so a separate `skiff scheduler` pointed at this server is a hot standby.
            group.addTask(operation: supervised("scheduler") {
                try await LeaderElectedScheduler(client: client, informers: informers, logger: Logger(label: "skiff.scheduler")).run()
            })
            logger.info("local node runtime", metadata: ["runtime": "\(runtime)",
                                                         "chosen": "\(NodeOptions.runtimeOrigin(nodes.runtime))"])
            if runtime == "process" || runtime == "runc" {
                var configuration = Kubelet.Configuration(nodeName: nodes.localNodeName,
                                                          dataDirectory: apiServer.configuration.dataDirectory)
                configuration.heartbeatInterval = min(.seconds(10), nodes.gracePeriod / 4)
                configuration.podCIDR = SimulatedNodeSpec(name: nodes.localNodeName, index: 0).podCIDR
                configuration.serverPort = nodes.kubeletPort
                configuration.clientCAPEM = apiServer.pki.caCertificatePEM
                // Pods resolve through the cluster DNS this server runs (only a runc node runs it).
                if runtime == "runc" && !serviceOptions.disableClusterDNS { configuration.clusterDNS = [serviceOptions.clusterDNS] }
                configuration.clusterDomain = serviceOptions.clusterDomain
                configuration.resolvConf = serviceOptions.resolvConf
                do {
                    let kubelet = try NodeOptions.kubelet(runtime: runtime, oci: try NodeOptions.oci(nodes.ociRuntime), client: client,
                                                          configuration: configuration)
                    group.addTask(operation: supervised("kubelet") { try await kubelet.run() })
                } catch {
                    logger.error("cannot start the local node's runtime", metadata: ["runtime": "\(runtime)", "error": "\(error)"])
                }
            }
            // Services carry traffic where pods have networks of their own: on a runc node.
            if runtime == "runc" {
                addServicePlane(to: &group, client: client, informers: informers, supervised: supervised)
            }
            if !specs.isEmpty {
                // The kubelet renews every 10 s against a 40 s grace; keep that proportion for shorter graces.
                let heartbeat = min(.seconds(10), nodes.gracePeriod / 4)
                let pool = SimulatedNodePool(client: client, nodes: specs, heartbeatInterval: heartbeat, informers: informers,
                                             logger: Logger(label: "skiff.simulated-nodes"))
                group.addTask(operation: supervised("simulated-nodes") { try await pool.run() })
            }
        }
        try? await client.shutdown()
        try? await watchClient.shutdown()
    }

    /// Routes to other nodes' pods, the proxy (unless --disable-proxy) and the cluster DNS (unless
    /// --disable-cluster-dns) of this node.
    func addServicePlane(to group: inout DiscardingTaskGroup, client: RESTClient, informers: SharedInformerFactory,
                         supervised: (String, @escaping @Sendable () async throws -> Void) -> @Sendable () async -> Void) {
        let routes = NodeRoutes(client: client, informers: informers, nodeName: nodes.localNodeName, logger: Logger(label: "skiff.routes"))
        group.addTask(operation: supervised("node-routes") { try await routes.run() })
        if !serviceOptions.disableProxy {
            if let nftables = NFTables.installed() {
                let proxy = ServiceProxy(client: client, informers: informers,
                                         network: serviceOptions.proxyNetwork(nodeName: nodes.localNodeName),
                                         nftables: nftables, logger: Logger(label: "skiff.proxy"))
                group.addTask(operation: supervised("proxy") { try await proxy.run() })
                let policy = NetworkPolicyEnforcer(client: client, informers: informers, nodeName: nodes.localNodeName,
                                                   nftables: nftables, logger: Logger(label: "skiff.network-policy"))
                group.addTask(operation: supervised("network-policy") { try await policy.run() })
            } else {
                logger.error("the service proxy needs nft (Debian's nftables package); Services carry no traffic on this node")
            }
        }
        if !serviceOptions.disableClusterDNS {
            let dns = ClusterDNS(client: client, informers: informers, configuration: .init(
                serviceIP: serviceOptions.clusterDNS, clusterDomain: serviceOptions.clusterDomain,
                listenAddress: NodeAddress.internalIP(), port: serviceOptions.dnsPort, nodeName: nodes.localNodeName,
                resolvConf: serviceOptions.resolvConf),
                logger: Logger(label: "skiff.dns"))
            group.addTask(operation: supervised("cluster-dns") { try await dns.run() })
        }
    }
}
