import Foundation
import Logging
import SkiffAPI
import SkiffClient
import SkiffKubelet
import SkiffTesting
import Testing

/// Simulated nodes against a real API server over HTTPS: registration, leases, pods turned Running,
/// graceful deletion finished, and a silenced node that stops working until it is heard again.
@Suite struct SimulatedNodeTests {
    /// Polls `condition` until it holds or a generous deadline passes.
    func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting until \(what)")
    }

    @Test func nodesRegisterRunPodsAndFinishDeletions() async throws {
        let server = try await TestAPIServer()
        let client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: server.kubeconfig.path))
        let pool = SimulatedNodePool(client: client, nodes: SimulatedNodeSpec.pool(prefix: "sim", count: 2),
                                     heartbeatInterval: .milliseconds(200), logger: Logger(label: "test.sim"))
        let running = Task { try await pool.run() }

        try await eventually("both nodes are Ready") {
            let nodes = try await client.json(.GET, "/api/v1/nodes")["items"]?.arrayValue ?? []
            return nodes.count == 2 && nodes.allSatisfy { node in
                (node["status"]?["conditions"]?.arrayValue ?? []).contains {
                    $0["type"] == "Ready" && $0["status"] == "True"
                }
            }
        }
        let node = try await client.json(.GET, "/api/v1/nodes/sim-1")
        #expect(node["status"]?["capacity"]?["cpu"] == "32")
        #expect(node["status"]?["allocatable"]?["pods"] == "110")
        // The Lease follows the Node's registration (on a loaded machine, a moment later).
        try await eventually("sim-1's lease is held") {
            let lease = try await client.json(.GET, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/sim-1")
            return lease["spec"]?["holderIdentity"] == "sim-1"
        }

        _ = try await client.json(.POST, "/api/v1/namespaces/default/pods", body: [
            "metadata": ["name": "web"],
            "spec": ["nodeName": "sim-1", "containers": [["name": "c", "image": "busybox"]],
                     "initContainers": [["name": "init", "image": "busybox"]]],
        ])
        try await eventually("the pod runs") {
            try await client.json(.GET, "/api/v1/namespaces/default/pods/web")["status"]?["phase"] == "Running"
        }
        let pod = try await client.json(.GET, "/api/v1/namespaces/default/pods/web")
        #expect(pod["status"]?["podIP"]?.stringValue?.hasPrefix("10.244.1.") == true)
        #expect(pod["status"]?["containerStatuses"]?[0]?["ready"] == true)
        #expect(pod["status"]?["initContainerStatuses"]?[0]?["state"]?["terminated"]?["reason"] == "Completed")
        #expect(pod["status"]?["qosClass"] == "BestEffort")

        // Silence the node: a pod deleted meanwhile stays Terminating until the node is heard again.
        _ = try await client.json(.PATCH, "/api/v1/nodes/sim-1",
                                  body: ["metadata": ["annotations": ["sim.skiff.dev/heartbeat": "stopped"]]],
                                  contentType: "application/merge-patch+json")
        try await Task.sleep(for: .milliseconds(500))
        _ = try await client.json(.DELETE, "/api/v1/namespaces/default/pods/web")
        try await Task.sleep(for: .seconds(1))
        let terminating = try await client.json(.GET, "/api/v1/namespaces/default/pods/web")
        #expect(terminating["metadata"]?["deletionTimestamp"] != nil)

        _ = try await client.json(.PATCH, "/api/v1/nodes/sim-1",
                                  body: ["metadata": ["annotations": ["sim.skiff.dev/heartbeat": nil]]],
                                  contentType: "application/merge-patch+json")
        try await eventually("the deletion finishes") {
            let response = try await client.send(.GET, "/api/v1/namespaces/default/pods/web")
            return response.status.code == 404
        }
        running.cancel()
        _ = await running.result
        try await client.shutdown()
        await server.stop()
    }
}
