public import Foundation
import Logging
import NIOPosix
public import SkiffAPIServer
public import SkiffClient
public import SkiffStorage

/// An API server in this process on a free port, over a store of the caller's choice (memory by default),
/// with its data directory in a fresh temporary directory. Stop it with `stop()`.
public final class TestAPIServer: Sendable {
    public let server: APIServer
    public let store: any Store
    public let dataDirectory: URL
    /// The directory was made here (none was given): `stop` removes it.
    let ownsDirectory: Bool
    let task: Task<Void, any Error>

    /// Starts a server and waits until `/readyz` would pass.
    public init(store: (any Store)? = nil, dataDirectory: URL? = nil, configure: (inout APIServer.Configuration) -> Void = { _ in })
        async throws
    {
        let directory = dataDirectory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("skiff-test-\(UUID().uuidString.prefix(8))")
        self.dataDirectory = directory
        ownsDirectory = dataDirectory == nil
        let store = store ?? MemoryStore()
        self.store = store
        var configuration = APIServer.Configuration(dataDirectory: directory, port: 0)
        configure(&configuration)
        var logger = Logger(label: "skiff.test.apiserver")
        logger.logLevel = ProcessInfo.processInfo.environment["SKIFF_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        let server = try APIServer(configuration: configuration, store: store, group: MultiThreadedEventLoopGroup.singleton,
                                   logger: logger)
        self.server = server
        task = Task { try await server.run() }
        _ = try await server.listeningPort()
        let deadline = ContinuousClock.now + .seconds(30)
        while !server.isReady {
            guard ContinuousClock.now < deadline else { throw TestServerError(message: "API server not ready within 30s") }
            try await Task.sleep(for: .milliseconds(10))
        }
        while !FileManager.default.fileExists(atPath: server.kubeconfigURL.path) { try await Task.sleep(for: .milliseconds(5)) }
    }

    /// The admin kubeconfig.
    public var kubeconfig: URL { server.kubeconfigURL }

    /// Runs `body` with a fresh server and an admin client of it, stopping both whatever happens.
    public static func withClient(configure: (inout APIServer.Configuration) -> Void = { _ in },
                                  _ body: (RESTClient, TestAPIServer) async throws -> Void) async throws {
        let server = try await TestAPIServer(configure: configure)
        let client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: server.kubeconfig.path))
        do {
            try await body(client, server)
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
        try await client.shutdown()
        await server.stop()
    }

    /// Stops the server (cancels its tasks). A directory the caller gave stays (it may restart on it); one made
    /// here goes, so test runs leave no certificates behind in the temporary directory.
    public func stop() async {
        task.cancel()
        _ = try? await task.value
        if ownsDirectory { try? FileManager.default.removeItem(at: dataDirectory) }
    }
}

public struct TestServerError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
