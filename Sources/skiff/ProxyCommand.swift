import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffKubelet
import SkiffProxy

/// `skiff proxy`: the service proxy alone (kube-proxy in nftables mode).
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Run the service proxy alone: program nftables from Services and EndpointSlices.",
        discussion: """
            Connects with --kubeconfig (else $KUBECONFIG, else DATA_DIR/kubeconfig.yaml when it exists, else \
            ~/.kube/config). Needs root and the nftables package. Its rules live in the `ip skiff-proxy` table \
            (Services) and `ip skiff-policy` (NetworkPolicies of this node's pods), and stay when it stops, so connections keep flowing across a restart; --cleanup removes them and \
            exits. `skiff server` and `skiff agent` run the same proxy in their own process.
            """)

    @OptionGroup var common: CommonOptions

    @OptionGroup var client: ClientOptions

    @Option(help: "The pod range: traffic to a Service from outside it is masqueraded.")
    var clusterCIDR: String = "10.244.0.0/16"

    @Option(help: "This node's name, for Services with a Local traffic policy (default: the host name).")
    var nodeName: String?

    @Flag(help: "Remove the proxy's nftables table and Service route, then exit.")
    var cleanup = false

    func validate() throws {
        try ServiceOptions.checkClusterCIDR(clusterCIDR)
    }

    func run() async throws {
        let level = try common.validateLogLevel()
        Observability.bootstrap(level: level)
        let logger = Logger(label: "skiff.proxy")
        guard let nftables = NFTables.installed() else {
            throw ValidationError("skiff proxy needs nft (Debian's nftables package): apt-get install nftables")
        }
        let network = ProxyNetwork(clusterCIDR: clusterCIDR, nodeName: NodeOptions.nodeName(nodeName))
        if cleanup {
            try ServiceProxy.cleanup(network, nftables: nftables)
            try NetworkPolicyEnforcer.cleanup(nftables: nftables)
            print("removed the \(network.table) and skiff-policy tables and the route of \(network.serviceCIDR)")
            return
        }
        guard getuid() == 0 else { throw ValidationError("skiff proxy needs root to program nftables") }
        let restClient = try RESTClient(config: client.clientConfig(dataDirectory: common.dataDirectory, userAgent: "skiff-proxy"))
        let proxy = ServiceProxy(client: restClient, network: network, nftables: nftables, logger: logger)
        let policy = NetworkPolicyEnforcer(client: restClient, nodeName: network.nodeName, nftables: nftables,
                                           logger: Logger(label: "skiff.network-policy"))
        logger.info("starting", metadata: ["server": "\(restClient.config.server)", "table": "\(network.table)"])
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: proxy), .init(service: policy)], gracefulShutdownSignals: [.sigterm, .sigint],
                                 logger: logger))
        try await group.run()
        try? await restClient.shutdown()
    }
}
