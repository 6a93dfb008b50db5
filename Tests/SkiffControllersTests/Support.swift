import Foundation
import Logging
import SkiffAPI
import SkiffClient
import SkiffControllers
import SkiffTesting
import Testing

/// A real API server in this process (memory store) and a client of it.
struct TestCluster {
    let server: TestAPIServer
    let client: RESTClient

    static func start() async throws -> TestCluster {
        let server = try await TestAPIServer()
        let client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: server.kubeconfig.path))
        return TestCluster(server: server, client: client)
    }

    func stop() async {
        try? await client.shutdown()
        await server.stop()
    }

    /// Runs `body` with a fresh cluster, stopping it whatever happens.
    static func with(_ body: (TestCluster) async throws -> Void) async throws {
        let cluster = try await start()
        do { try await body(cluster) } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    // MARK: - Objects

    static let configMaps = ResourcePath(group: "", version: "v1", resource: "configmaps")

    @discardableResult
    func createConfigMap(_ name: String, namespace: String = "default", owners: [JSONValue] = [],
                         finalizers: [String] = []) async throws -> JSONValue {
        var metadata: JSONValue = ["name": .string(name), "namespace": .string(namespace)]
        if !owners.isEmpty { metadata["ownerReferences"] = .array(owners) }
        if !finalizers.isEmpty { metadata["finalizers"] = .array(finalizers.map { .string($0) }) }
        return try await client.json(.POST, ResourcePath(group: "", version: "v1", resource: "configmaps", namespace: namespace).collection,
                                     body: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": ["k": "v"]])
    }

    /// The object at `path`, or nil when it does not exist.
    func get(_ path: String) async throws -> JSONValue? {
        do { return try await client.json(.GET, path) } catch let error as APIError where error.isNotFound { return nil }
    }

    func configMap(_ name: String, namespace: String = "default") async throws -> JSONValue? {
        try await get(Self.configMaps.object(name, namespace: namespace))
    }

    func delete(_ path: String, propagationPolicy: String? = nil) async throws {
        var query: [(String, String)] = []
        if let propagationPolicy { query.append(("propagationPolicy", propagationPolicy)) }
        _ = try await client.json(.DELETE, path, query: query)
    }

    func mergePatch(_ path: String, _ patch: JSONValue) async throws {
        _ = try await client.json(.PATCH, path, body: patch, contentType: "application/merge-patch+json")
    }
}

/// An owner reference to `object` (a ConfigMap unless said otherwise).
func ownerReference(to object: JSONValue, block: Bool? = nil, controller: Bool = true) -> JSONValue {
    var reference: JSONValue = [
        "apiVersion": object["apiVersion"] ?? "v1", "kind": object["kind"] ?? "ConfigMap",
        "name": object["metadata"]?["name"] ?? "", "uid": object["metadata"]?["uid"] ?? "", "controller": .bool(controller),
    ]
    if let block { reference["blockOwnerDeletion"] = .bool(block) }
    return reference
}

/// Polls `condition` until it holds; fails the test after a generous deadline (never a timing assertion).
func eventually(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("timed out waiting until \(what)")
    throw TestTimeout(what: what)
}

struct TestTimeout: Error {
    var what: String
}

func testLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["SKIFF_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    return logger
}

/// A controller manager running in a task of its own until `stop()`.
final class RunningManager: Sendable {
    let manager: ControllerManager
    let task: Task<Void, any Error>

    init(client: RESTClient, configuration: ControllerManager.Configuration, label: String = "skiff.test.cm") {
        let manager = ControllerManager(config: client.config, configuration: configuration, logger: testLogger(label))
        self.manager = manager
        task = Task { try await manager.run() }
    }

    /// Runs the garbage collector and namespace controller without leader election.
    convenience init(client: RESTClient) {
        self.init(client: client, configuration: .init(
            leaderElect: false,
            controllers: [GarbageCollector(workers: 4), NamespaceController(workers: 2)]))
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}
