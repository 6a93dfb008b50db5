import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient
import SkiffKubelet
import SkiffProxy

/// `skiff agent`: a node that joins a running server (k3s's agent): it registers its Node, renews its
/// Lease and runs the pods the scheduler binds to it.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Join a server as a node (or several simulated nodes).",
        discussion: """
            Reach the server with --server and --token (the token is in the server's kubeconfig; the CA is \
            --certificate-authority, else DATA_DIR/pki/ca.crt when the server shares this machine), or with \
            --kubeconfig. --runtime simulated runs simulated nodes: pods bound to them turn Running without \
            containers; --simulated-nodes N adds N more named NODE_NAME-0 ... NODE_NAME-(N-1).
            """)

    @OptionGroup var common: CommonOptions

    @OptionGroup var client: ClientOptions

    @OptionGroup var serviceOptions: ServiceOptions

    @Option(help: "The API server's URL, e.g. https://10.0.0.1:6443 (instead of --kubeconfig).")
    var server: String?

    @Option(help: "The bearer token to present to --server.")
    var token: String?

    @Option(help: "PEM file of the CA that signed --server's certificate.")
    var certificateAuthority: String?

    @Option(help: """
        The node's container runtime: runc (containers), process (host processes, no isolation) or simulated \
        (default: runc when running as root with runc installed, else process).
        """)
    var runtime: String?

    @Option(help: "The program that runs containers with --runtime runc: runc or crun (default: crun when installed, else runc).")
    var ociRuntime: String?

    @Option(help: "The node's name (default: the host name).")
    var nodeName: String?

    @Option(help: "How many more simulated nodes to run in this process.")
    var simulatedNodes: Int = 0

    @Option(help: "How long the node's Lease lasts; it is renewed every quarter of that, as the kubelet does.")
    var nodeLeaseDurationSeconds: Int = 40

    @Option(help: "The port of the kubelet API (logs, exec, attach, port-forward) with --runtime process.")
    var kubeletPort: Int = 10250

    func validate() throws {
        try NodeOptions.checkRuntime(runtime, allowed: ["runc", "process", "simulated"])
        _ = try NodeOptions.oci(ociRuntime)
        if server == nil, token != nil || certificateAuthority != nil {
            throw ValidationError("--token and --certificate-authority need --server")
        }
        if let server {
            guard client.kubeconfig == nil else { throw ValidationError("give either --server or --kubeconfig, not both") }
            guard let url = URL(string: server), ["https", "http"].contains(url.scheme ?? ""), url.host != nil else {
                throw ValidationError("--server must be a URL like https://HOST:6443 (got \"\(server)\")")
            }
            guard token != nil else { throw ValidationError("--server needs --token") }
        }
        guard simulatedNodes >= 0, simulatedNodes <= 100_000 else {
            throw ValidationError("--simulated-nodes must be between 0 and 100000 (got \(simulatedNodes))")
        }
        guard nodeLeaseDurationSeconds >= 4 else {
            throw ValidationError("--node-lease-duration-seconds must be at least 4 (got \(nodeLeaseDurationSeconds))")
        }
        if let nodeName { try Self.checkNodeName(nodeName) }
        guard (0...65535).contains(kubeletPort) else {
            throw ValidationError("--kubelet-port must be between 0 and 65535 (got \(kubeletPort))")
        }
    }

    static func checkNodeName(_ name: String) throws {
        let problems = NameValidation.dns1123Subdomain(name)
        guard problems.isEmpty else {
            throw ValidationError("--node-name \"\(name)\" is not a valid node name: \(problems.joined(separator: "; "))")
        }
    }

    var localNodeName: String { NodeOptions.nodeName(nodeName) }

    func clientConfig() throws -> ClientConfig {
        guard let server else { return try client.clientConfig(dataDirectory: common.dataDirectory, userAgent: "skiff-agent") }
        var caPEM: String? = nil
        let caPath = certificateAuthority ?? common.dataDirectory.appendingPathComponent("pki/ca.crt").path
        if server.hasPrefix("https") {
            guard let text = try? String(contentsOfFile: caPath, encoding: .utf8) else {
                throw ValidationError("cannot read the server's CA from \(caPath); give --certificate-authority "
                                      + "(the server's DATA_DIR/pki/ca.crt)")
            }
            caPEM = text
        }
        return ClientConfig(server: server, certificateAuthorityPEM: caPEM, bearerToken: token, userAgent: "skiff-agent")
    }

    func run() async throws {
        let level = try common.validateLogLevel()
        Observability.bootstrap(level: level)
        let logger = Logger(label: "skiff.agent")
        let restClient = try RESTClient(config: clientConfig())
        let names = [localNodeName] + (0..<simulatedNodes).map { "\(localNodeName)-\($0)" }
        let specs: [SimulatedNodeSpec]
        do {
            specs = try await NodeAddressing.specs(for: names, client: restClient)
        } catch {
            try? await restClient.shutdown()
            throw ValidationError("cannot reach the API server at \(restClient.config.server): \(error)")
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        let runtime = self.runtime ?? NodeOptions.defaultRuntime
        logger.info("node runtime", metadata: ["runtime": "\(runtime)", "chosen": "\(NodeOptions.runtimeOrigin(self.runtime))"])
        if runtime == "process" || runtime == "runc" {
            var configuration = Kubelet.Configuration(nodeName: localNodeName, dataDirectory: common.dataDirectory)
            configuration.heartbeatInterval = .seconds(nodeLeaseDurationSeconds) / 4
            configuration.podCIDR = specs.first?.podCIDR
            // The kubelet API accepts the API server's client certificate, which the cluster CA signed.
            configuration.serverPort = kubeletPort
            configuration.clientCAPEM = restClient.config.certificateAuthorityPEM
            // The cluster DNS runs beside the API server; pods here reach it through this node's proxy.
            if runtime == "runc" && !serviceOptions.disableClusterDNS { configuration.clusterDNS = [serviceOptions.clusterDNS] }
            configuration.clusterDomain = serviceOptions.clusterDomain
            configuration.resolvConf = serviceOptions.resolvConf
            if configuration.clientCAPEM == nil {
                logger.warning("no cluster CA known (plain-HTTP --server): the kubelet API is off, so no logs or exec")
            }
            do {
                services.append(.init(service: try NodeOptions.kubelet(runtime: runtime, oci: try NodeOptions.oci(ociRuntime),
                                                                       client: restClient, configuration: configuration)))
            } catch {
                try? await restClient.shutdown()
                throw error
            }
        }
        if runtime == "runc" {
            // Pods here reach pods on other nodes through their nodes (flannel's host-gw).
            services.append(.init(service: NodeRoutes(client: restClient, nodeName: localNodeName, logger: Logger(label: "skiff.routes"))))
        }
        if runtime == "runc" && !serviceOptions.disableProxy {
            if let nftables = NFTables.installed() {
                services.append(.init(service: ServiceProxy(client: restClient, network: serviceOptions.proxyNetwork(nodeName: localNodeName),
                                                            nftables: nftables, logger: Logger(label: "skiff.proxy"))))
                services.append(.init(service: NetworkPolicyEnforcer(client: restClient, nodeName: localNodeName, nftables: nftables,
                                                                     logger: Logger(label: "skiff.network-policy"))))
            } else {
                logger.error("the service proxy needs nft (Debian's nftables package); Services carry no traffic on this node")
            }
        }
        let simulated = runtime == "simulated" ? specs : Array(specs.dropFirst())
        if !simulated.isEmpty {
            services.append(.init(service: SimulatedNodePool(
                client: restClient, nodes: simulated, heartbeatInterval: .seconds(nodeLeaseDurationSeconds) / 4,
                logger: Logger(label: "skiff.simulated-nodes"))))
        }
        logger.info("joining", metadata: ["server": "\(restClient.config.server)", "nodes": "\(names.count)",
                                          "node": "\(localNodeName)", "runtime": "\(runtime)"])
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do { try await group.run() } catch {
            try? await restClient.shutdown()
            throw error
        }
        try? await restClient.shutdown()
    }
}

/// Pod ranges for nodes that join from another process: a node keeps the range it registered with, and a
/// new one takes the lowest /24 of 10.244.0.0/16 no other node holds (the job of upstream's node IPAM).
enum NodeAddressing {
    static func specs(for names: [String], client: RESTClient) async throws -> [SimulatedNodeSpec] {
        let list = try await client.json(.GET, "/api/v1/nodes")
        var taken: [String: Int] = [:]
        for node in list["items"]?.arrayValue ?? [] {
            guard let cidr = node["spec"]?["podCIDR"]?.stringValue, let index = podRangeIndex(cidr) else { continue }
            taken[node["metadata"]?["name"]?.stringValue ?? ""] = index
        }
        var used = Set(taken.values)
        var next = 0
        return names.map { name in
            if let index = taken[name] { return SimulatedNodeSpec(name: name, index: index) }
            while used.contains(next % 256), used.count < 256 { next += 1 }
            used.insert(next % 256)
            defer { next += 1 }
            return SimulatedNodeSpec(name: name, index: next)
        }
    }

    /// `10.244.X.0/24` → X.
    static func podRangeIndex(_ cidr: String) -> Int? {
        let parts = cidr.split(separator: "/").first?.split(separator: ".") ?? []
        guard parts.count == 4, parts[0] == "10", parts[1] == "244" else { return nil }
        return Int(parts[2])
    }
}
