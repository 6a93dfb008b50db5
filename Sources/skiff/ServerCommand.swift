import ArgumentParser
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import SkiffAPIServer
import SkiffStorage

/// `skiff server`: every component in one process.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run a whole cluster in one process: API server, controllers, scheduler and a node.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var apiOptions: APIServerOptions
    @OptionGroup var nodeOptions: NodeOptions
    @OptionGroup var controllerOptions: ControllerOptions
    @OptionGroup var serviceOptions: ServiceOptions

    func run() async throws {
        let level = try common.validateLogLevel()
        Observability.bootstrap(level: level)
        let logger = Logger(label: "skiff.server")
        let store = try await storeOptions.makeStore(dataDirectory: common.dataDirectory, logger: Logger(label: "skiff.storage"))
        let apiServer = try apiOptions.makeServer(dataDirectory: common.dataDirectory, store: store)
        logger.info("starting", metadata: ["dataDir": "\(common.dataDirectory.path)", "datastore": "\(storeOptions.datastore)"])
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: apiServer)]
        if let compactor = storeOptions.makeCompactor(store: store, logger: Logger(label: "skiff.storage")) {
            services.append(.init(service: compactor))
        }
        services.append(.init(service: InProcessComponents(apiServer: apiServer, nodes: nodeOptions, controllerOptions: controllerOptions,
                                                           serviceOptions: serviceOptions,
                                                           logger: Logger(label: "skiff.components"))))
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await store.close()
    }
}

/// `skiff apiserver`: the API server alone.
struct APIServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "apiserver", abstract: "Run the API server alone.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var apiOptions: APIServerOptions

    func run() async throws {
        let level = try common.validateLogLevel()
        Observability.bootstrap(level: level)
        let logger = Logger(label: "skiff.apiserver")
        let store = try await storeOptions.makeStore(dataDirectory: common.dataDirectory, logger: Logger(label: "skiff.storage"))
        let apiServer = try apiOptions.makeServer(dataDirectory: common.dataDirectory, store: store)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: apiServer)]
        if let compactor = storeOptions.makeCompactor(store: store, logger: Logger(label: "skiff.storage")) {
            services.append(.init(service: compactor))
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await store.close()
    }
}

/// Options of the API server.
struct APIServerOptions: ParsableArguments {
    @Option(help: "The address to listen on.")
    var bindAddress: String = "127.0.0.1"

    @Option(help: "The HTTPS port.")
    var port: Int = 6443

    @Option(help: "Seconds pods tolerate a not-ready node (DefaultTolerationSeconds).")
    var defaultNotReadyTolerationSeconds: Int64 = 300

    @Option(help: "Seconds pods tolerate an unreachable node (DefaultTolerationSeconds).")
    var defaultUnreachableTolerationSeconds: Int64 = 300

    @Option(help: "Read-only requests served at once before 429 Too Many Requests (0: no limit).")
    var maxRequestsInflight: Int = 400

    @Option(help: "Mutating requests served at once before 429 Too Many Requests (0: no limit).")
    var maxMutatingRequestsInflight: Int = 200

    func validate() throws {
        guard maxRequestsInflight >= 0, maxMutatingRequestsInflight >= 0 else {
            throw ValidationError("--max-requests-inflight and --max-mutating-requests-inflight must not be negative")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535 (got \(port))") }
        guard defaultNotReadyTolerationSeconds >= 0, defaultUnreachableTolerationSeconds >= 0 else {
            throw ValidationError("toleration seconds must not be negative")
        }
    }

    func makeServer(dataDirectory: URL, store: any Store) throws -> APIServer {
        try APIServer(
            configuration: .init(dataDirectory: dataDirectory, bindAddress: bindAddress, port: port,
                                 defaultNotReadyTolerationSeconds: defaultNotReadyTolerationSeconds,
                                 defaultUnreachableTolerationSeconds: defaultUnreachableTolerationSeconds,
                                 maxRequestsInflight: maxRequestsInflight, maxMutatingRequestsInflight: maxMutatingRequestsInflight),
            store: store, group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "skiff.apiserver"),
            metrics: Observability.prometheus)
    }
}
