import Foundation
import Logging
import SkiffAPI
import SkiffClient
import SkiffControllers
import SkiffKubelet
import SkiffTesting
import Testing

/// A simulated node that stops heartbeating goes NotReady (conditions Unknown), is tainted unreachable,
/// and its pods are marked for deletion once their toleration runs out; heard again, it is Ready and
/// untainted, and finishes the deletions.
@Suite struct NodeFailureTests {
    func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(45)
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting until \(what)")
    }

    func ready(_ client: RESTClient, _ node: String) async throws -> String {
        let object = try await client.json(.GET, "/api/v1/nodes/\(node)")
        return (object["status"]?["conditions"]?.arrayValue ?? []).first { $0["type"] == "Ready" }?["status"]?.stringValue ?? ""
    }

    @Test func aSilentNodeIsTaintedAndItsPodsEvicted() async throws {
        let server = try await TestAPIServer { configuration in
            configuration.defaultNotReadyTolerationSeconds = 1
            configuration.defaultUnreachableTolerationSeconds = 1
        }
        let config = try ClientConfig.fromKubeconfig(path: server.kubeconfig.path)
        let client = try RESTClient(config: config)
        let pool = SimulatedNodePool(client: client, nodes: SimulatedNodeSpec.pool(prefix: "n", count: 2),
                                     heartbeatInterval: .milliseconds(250), logger: Logger(label: "test.sim"))
        let manager = ControllerManager(
            config: config,
            configuration: .init(leaderElect: false, controllers: [NodeLifecycleController(gracePeriod: .seconds(2))]),
            logger: Logger(label: "test.controllers"))
        let nodes = Task { try await pool.run() }
        let controllers = Task { try await manager.run() }

        try await eventually("both nodes are Ready") {
            let first = try await ready(client, "n-0")
            let second = try await ready(client, "n-1")
            return first == "True" && second == "True"
        }
        _ = try await client.json(.POST, "/api/v1/namespaces/default/pods", body: [
            "metadata": ["name": "victim"], "spec": ["nodeName": "n-1", "containers": [["name": "c", "image": "busybox"]]],
        ])
        try await eventually("the pod runs") {
            try await client.json(.GET, "/api/v1/namespaces/default/pods/victim")["status"]?["phase"] == "Running"
        }
        _ = try await client.json(.PATCH, "/api/v1/nodes/n-1",
                                  body: ["metadata": ["annotations": ["sim.skiff.dev/heartbeat": "stopped"]]],
                                  contentType: "application/merge-patch+json")
        try await eventually("the silent node is Unknown and tainted") {
            let node = try await client.json(.GET, "/api/v1/nodes/n-1")
            let taints = node["spec"]?["taints"]?.arrayValue ?? []
            let status = try await ready(client, "n-1")
            return status == "Unknown"
                && taints.contains { $0["key"] == "node.kubernetes.io/unreachable" && $0["effect"] == "NoExecute" }
        }
        try await eventually("its pod is marked for deletion") {
            try await client.json(.GET, "/api/v1/namespaces/default/pods/victim")["metadata"]?["deletionTimestamp"] != nil
        }
        #expect(try await ready(client, "n-0") == "True")

        _ = try await client.json(.PATCH, "/api/v1/nodes/n-1",
                                  body: ["metadata": ["annotations": ["sim.skiff.dev/heartbeat": nil]]],
                                  contentType: "application/merge-patch+json")
        try await eventually("the node is Ready and untainted, and the pod gone") {
            let node = try await client.json(.GET, "/api/v1/nodes/n-1")
            let gone = try await client.send(.GET, "/api/v1/namespaces/default/pods/victim").status.code == 404
            let status = try await ready(client, "n-1")
            return status == "True" && (node["spec"]?["taints"]?.arrayValue ?? []).isEmpty && gone
        }
        nodes.cancel()
        controllers.cancel()
        _ = await nodes.result
        _ = await controllers.result
        try await client.shutdown()
        await server.stop()
    }
}
