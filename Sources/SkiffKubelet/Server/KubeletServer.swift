import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// The kubelet's HTTPS API (port 10250 by default), which the API server proxies `pods/log`, `pods/exec`,
/// `pods/attach` and `pods/portforward` to: `/containerLogs`, `/exec`, `/attach` and `/portForward` with
/// upstream's paths and queries, over a self-signed certificate made at start. Every request must present a
/// client certificate signed by the cluster CA (the API server's); without one the answer is 401.
public final class KubeletServer: Sendable {
    public struct Configuration: Sendable {
        public var nodeName: String
        /// The cluster CA (PEM) whose client certificates are accepted.
        public var clientCAPEM: String
        public var bindAddress = "0.0.0.0"
        /// 0: any free port (tests).
        public var port = 10250
        /// Addresses the serving certificate names (the node's InternalIP).
        public var addresses: [String] = []

        public init(nodeName: String, clientCAPEM: String, port: Int = 10250, bindAddress: String = "0.0.0.0",
                    addresses: [String] = []) {
            self.nodeName = nodeName
            self.clientCAPEM = clientCAPEM
            self.port = port
            self.bindAddress = bindAddress
            self.addresses = addresses
        }
    }

    public let configuration: Configuration
    let endpoints: KubeletEndpoints
    private let channel = Mutex<(any Channel)?>(nil)

    /// A server answering for the containers `locator` finds in `runtime`.
    public init(configuration: Configuration, locator: any ContainerLocator, runtime: any ContainerRuntime, logger: Logger) {
        self.configuration = configuration
        endpoints = KubeletEndpoints(locator: locator, runtime: runtime, exits: ContainerExitWatchers(), logger: logger)
    }

    /// Binds and starts serving; returns the port it listens on.
    public func start() async throws -> Int {
        let tls = try KubeletServingCertificate.makeContext(nodeName: configuration.nodeName, addresses: configuration.addresses,
                                                            clientCAPEM: configuration.clientCAPEM)
        let endpoints = self.endpoints
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOSSLServerHandler(context: tls))
                    try sync.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: KubeletUpgraders.make(endpoints), completionHandler: { context in
                            context.pipeline.removeHandler(name: "kubelet-http", promise: nil)
                        }))
                    try sync.addHandler(KubeletHTTPHandler(endpoints: endpoints), name: "kubelet-http")
                }
            }
        let server = try await bootstrap.bind(host: configuration.bindAddress, port: configuration.port).get()
        channel.withLock { $0 = server }
        let port = server.localAddress?.port ?? configuration.port
        endpoints.logger.info("kubelet server listening", metadata: ["port": "\(port)"])
        return port
    }

    /// Stops listening; sessions under way end with their connections.
    public func stop() async {
        let server = channel.withLock { state in
            defer { state = nil }
            return state
        }
        try? await server?.close()
    }

    /// A container's run ended: followers of its log and attached clients finish.
    public func containerExited(_ containerID: String) {
        endpoints.exits.exited(containerID)
    }
}
