import SkiffServerCodecs
public import Foundation
public import Logging
public import NIOCore
public import Prometheus
public import ServiceLifecycle
import SkiffAPI
public import SkiffStorage
public import SkiffTLS
import Synchronization
import NIOHTTP1
import NIOPosix

/// The Kubernetes API server: HTTPS on the configured address, plain HTTP on a unix socket in the data
/// directory for the components in the same process, the admin credentials and kubeconfig in the data
/// directory, a watch cache over the store, and the built-in resources.
/// A `Service`: `run()` serves until graceful shutdown.
public final class APIServer: Service, Sendable {
    public struct Configuration: Sendable {
        public var dataDirectory: URL
        public var bindAddress: String
        /// 0 picks a free port (tests); read it from `listeningPort()`.
        public var port: Int
        /// Tolerations DefaultTolerationSeconds adds to pods.
        public var defaultNotReadyTolerationSeconds: Int64
        public var defaultUnreachableTolerationSeconds: Int64
        /// Read-only and mutating requests served at once before `429` (0: unlimited), as upstream's flags.
        public var maxRequestsInflight: Int
        public var maxMutatingRequestsInflight: Int
        /// How long a connection may take over each part of a request.
        public var timeouts: HTTPTimeouts

        public init(dataDirectory: URL, bindAddress: String = "127.0.0.1", port: Int = 6443,
                    defaultNotReadyTolerationSeconds: Int64 = 300, defaultUnreachableTolerationSeconds: Int64 = 300,
                    maxRequestsInflight: Int = 400, maxMutatingRequestsInflight: Int = 200,
                    timeouts: HTTPTimeouts = HTTPTimeouts()) {
            self.dataDirectory = dataDirectory
            self.bindAddress = bindAddress
            self.port = port
            self.defaultNotReadyTolerationSeconds = defaultNotReadyTolerationSeconds
            self.defaultUnreachableTolerationSeconds = defaultUnreachableTolerationSeconds
            self.maxRequestsInflight = maxRequestsInflight
            self.maxMutatingRequestsInflight = maxMutatingRequestsInflight
            self.timeouts = timeouts
        }
    }

    public let configuration: Configuration
    let store: any Store
    let logger: Logger
    let group: any EventLoopGroup
    let metrics: PrometheusCollectorRegistry?
    let health = HealthState()
    let registry: ResourceRegistry
    let hub: WatchCacheHub
    let authenticator: Authenticator
    public let pki: PKI
    /// The admin user's bearer token (also in the kubeconfig).
    public let adminToken: String
    let httpServer: HTTPServer
    /// `DATA_DIR/apiserver.sock`, for the components `skiff server` runs itself: no TLS between parts of one
    /// process (each pod event sent to each of their watches was encrypted). Nil when the path is too long
    /// for a unix socket.
    let localServer: HTTPServer?
    let clock: @Sendable () -> Date

    /// Sets up credentials and state; nothing listens until `run()`.
    public init(configuration: Configuration, store: any Store, group: any EventLoopGroup, logger: Logger,
                metrics: PrometheusCollectorRegistry? = nil) throws {
        self.configuration = configuration
        self.store = store
        self.logger = logger
        self.group = group
        self.metrics = metrics
        self.clock = { Date() }
        let fm = FileManager.default
        // The data directory holds the store, keys and tokens: its owner's alone.
        try fm.createDirectory(at: configuration.dataDirectory, withIntermediateDirectories: true,
                               attributes: [.posixPermissions: 0o700])
        chmod(configuration.dataDirectory.path, 0o700)
        let host = configuration.bindAddress
        var ips = ["127.0.0.1", "::1"]
        if host != "0.0.0.0", host != "::", !ips.contains(host) { ips.append(host) }
        ips.append(contentsOf: Self.hostAddresses().filter { !ips.contains($0) })
        pki = try PKI.loadOrCreate(
            directory: configuration.dataDirectory.appendingPathComponent("pki"),
            dnsNames: ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                       "kubernetes.default.svc.cluster.local", ProcessInfo.processInfo.hostName],
            ipAddresses: ips)
        let tokenFile = configuration.dataDirectory.appendingPathComponent("pki/tokens.csv")
        authenticator = try Authenticator(tokenFile: tokenFile)
        if let existing = authenticator.token(forUser: "admin") {
            adminToken = existing
        } else {
            adminToken = Self.randomToken()
            try authenticator.addToken(adminToken, user: UserInfo(name: "admin", uid: "admin", groups: ["system:masters"]))
        }
        let schemas = SchemaRegistry(source: BuiltinCatalog.schemaSource)
        registry = BuiltinCatalog.registry(schemas: schemas)
        hub = WatchCacheHub(store: store, caches: registry.caches, logger: logger)
        health.register("watch-cache")
        health.register("bootstrap")
        let namespaces = registry.resource(group: "", resource: "namespaces")?.cache
        let hub = hub
        let admission = AdmissionChain.builtin(
            namespaces: { name in
                guard let namespaces else { return nil }
                if let cached = namespaces.get(namespace: "", name: name) { return try cached.parsed() }
                // Created a moment ago? Catch up with the store before refusing.
                try await hub.waitUntilFresh()
                return try namespaces.get(namespace: "", name: name)?.parsed()
            },
            notReadyTolerationSeconds: configuration.defaultNotReadyTolerationSeconds,
            unreachableTolerationSeconds: configuration.defaultUnreachableTolerationSeconds)
        var rest = RESTHandler(store: store, hub: hub, registry: registry, admission: admission, logger: logger,
                               clock: { Date() })
        // The kubelets check this certificate against the cluster CA (upstream's kubelet client certificate).
        let kubeletClientCertificate = try pki.issueClientCertificate(user: "kube-apiserver-kubelet-client",
                                                                      groups: ["system:masters"])
        rest.kubelets = try KubeletClient(certificatePEM: kubeletClientCertificate.certificate, keyPEM: kubeletClientCertificate.key)
        let advertised = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        let handler = APIRequestHandler(
            rest: rest, discovery: Discovery(registry: registry, serverAddress: "\(advertised):\(configuration.port)"),
            openAPI: OpenAPIEndpoints(source: BuiltinCatalog.openAPISource), authenticator: authenticator,
            health: health, metricsRegistry: metrics,
            inflight: InflightLimiter(maxReadOnly: configuration.maxRequestsInflight,
                                      maxMutating: configuration.maxMutatingRequestsInflight),
            logger: logger)
        let tooLargeBody: @Sendable (Int) -> (HTTPResponseStatus, HTTPHeaders, [UInt8]) = { limit in
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Cache-Control", value: "no-cache, private")
            return (.payloadTooLarge, headers, APIError.requestEntityTooLarge("limit is \(limit)").status.serialized() + [UInt8(ascii: "\n")])
        }
        var serving = HTTPServer.Configuration(host: host, port: configuration.port, tls: try pki.makeServerTLSContext())
        serving.timeouts = configuration.timeouts
        httpServer = HTTPServer(configuration: serving, responder: handler, group: group, logger: logger, tooLargeBody: tooLargeBody)
        let socket = configuration.dataDirectory.appendingPathComponent("apiserver.sock").path
        // sockaddr_un holds 108 bytes with the terminating NUL.
        localServer = socket.utf8.count < 108
            ? HTTPServer(configuration: .init(unixSocketPath: socket), responder: handler, group: group, logger: logger,
                         tooLargeBody: tooLargeBody)
            : nil
    }

    /// The URL of the unix socket for components in this process (`http+unix://…`, as AsyncHTTPClient takes
    /// it), once it listens; nil without one (they use HTTPS then).
    public func localURL() async -> String? {
        guard let localServer, let path = localServer.configuration.unixSocketPath,
              (try? await localServer.listeningPort()) != nil else { return nil }
        return "http+unix://" + (path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? path)
    }

    /// The port the server listens on (waits until it does).
    public func listeningPort() async throws -> Int { try await httpServer.listeningPort() }

    /// The admin kubeconfig's path (written once the server listens).
    public var kubeconfigURL: URL { configuration.dataDirectory.appendingPathComponent("kubeconfig.yaml") }

    /// The URL clients reach the server at.
    public func serverURL() async throws -> String {
        let host = configuration.bindAddress
        let advertised = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : (host.contains(":") ? "[\(host)]" : host)
        return "https://\(advertised):\(try await listeningPort())"
    }

    /// Whether `/readyz` would answer 200.
    public var isReady: Bool { health.isReady }

    /// Sets the readiness check `component/<name>` (a component running in this process: the scheduler,
    /// the controller manager, a kubelet); a failing one takes `/readyz` down and `?verbose` names it.
    public func setComponentReady(_ name: String, _ ready: Bool) {
        health.set("component/\(name)", ok: ready)
    }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.hub.run() }
            group.addTask { try await self.httpServer.run() }
            if let localServer {
                group.addTask {
                    // Only a shortcut for this process's components: without it they use HTTPS.
                    do { try await localServer.run() } catch {
                        self.logger.warning("no unix socket for in-process components", metadata: ["error": "\(error)"])
                    }
                }
            }
            group.addTask {
                let url = try await self.serverURL()
                try Kubeconfig.write(to: self.kubeconfigURL, server: url, caPEM: self.pki.caCertificatePEM, token: self.adminToken)
                while !self.hub.isReady { try await Task.sleep(for: .milliseconds(5)) }
                self.health.set("watch-cache", ok: true)
                try await self.bootstrap()
                try await self.bootstrapKubernetesService()
                try await self.bootstrapLocalAPIServices()
                self.health.set("bootstrap", ok: true)
                self.logger.info("ready", metadata: ["url": "\(url)", "kubeconfig": "\(self.kubeconfigURL.path)"])
            }
            try await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Creates the namespaces every cluster has.
    func bootstrap() async throws {
        guard let namespaces = registry.resource(group: "", resource: "namespaces") else { return }
        for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let key = namespaces.key(namespace: nil, name: name)
            if try await store.get(key) != nil { continue }
            var object: JSONValue = ["apiVersion": "v1", "kind": "Namespace",
                                     "metadata": ["name": .string(name), "labels": ["kubernetes.io/metadata.name": .string(name)]],
                                     "spec": ["finalizers": ["kubernetes"]], "status": ["phase": "Active"]]
            ObjectLifecycle.prepareForCreate(&object, resource: namespaces, namespace: nil, now: clock())
            do {
                _ = try await store.create(key, value: ObjectLifecycle.storageBytes(object))
            } catch {
                // Another server created it first.
                if !error.isKeyExists { throw error }
            }
        }
    }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// This machine's non-loopback IPv4 addresses (for the serving certificate).
    static func hostAddresses() -> [String] {
        (try? System.enumerateDevices())?.compactMap { device -> String? in
            guard case .v4(let address)? = device.address else { return nil }
            let text = address.host
            return text.hasPrefix("127.") ? nil : text
        } ?? []
    }
}
