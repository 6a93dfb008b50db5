import Foundation
import Logging
import SkiffAPI
import SkiffClient
import SkiffKubelet
import SkiffTesting
import Testing

/// `skiff agent` and `skiff scheduler` as a user runs them: the real binary, in its own process, joining an
/// API server over HTTPS.
@Suite struct ComponentCommandTests {
    func podCIDR(_ client: RESTClient, _ node: String) async throws -> String? {
        try await client.json(.GET, "/api/v1/nodes/\(node)")["spec"]?["podCIDR"]?.stringValue
    }

    func isReady(_ client: RESTClient, _ node: String) async throws -> Bool {
        let conditions = try await client.json(.GET, "/api/v1/nodes/\(node)")["status"]?["conditions"]?.arrayValue ?? []
        return conditions.contains { $0["type"] == "Ready" && $0["status"] == "True" }
    }

    @Test func anAgentJoinsWithAServerURLAndTokenRunsPodsAndKeepsItsPodRangeAcrossRestarts() async throws {
        let server = try await TestAPIServer()
        defer { Task { await server.stop() } }
        let client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: server.kubeconfig.path))
        // A node another process registered holds 10.244.0.0/24: the agent's nodes must take other ranges.
        _ = try await client.json(.POST, "/api/v1/nodes", body: ["metadata": ["name": "other"], "spec": ["podCIDR": "10.244.0.0/24"]])
        let port = try await server.server.listeningPort()
        let arguments = ["agent", "--server", "https://127.0.0.1:\(port)", "--token", server.server.adminToken,
                         "--certificate-authority", server.dataDirectory.appendingPathComponent("pki/ca.crt").path,
                         "--node-name", "worker", "--runtime", "simulated", "--simulated-nodes", "1",
                         "--node-lease-duration-seconds", "4"]
        var agent = try SkiffProcess(arguments)
        let joined = await waitUntil {
            let worker = try await self.isReady(client, "worker")
            let other = try await self.isReady(client, "worker-0")
            return worker && other
        }
        #expect(joined, "agent log: \(agent.log)")
        let ranges = [try await podCIDR(client, "worker"), try await podCIDR(client, "worker-0")]
        #expect(Set(ranges.compactMap { $0 }).count == 2)
        #expect(!ranges.contains("10.244.0.0/24"))

        _ = try await client.json(.POST, "/api/v1/namespaces/default/pods", body: [
            "metadata": ["name": "on-worker"], "spec": ["nodeName": "worker", "containers": [["name": "c", "image": "busybox"]]],
        ])
        let running = await waitUntil {
            try await client.json(.GET, "/api/v1/namespaces/default/pods/on-worker")["status"]?["phase"] == "Running"
        }
        #expect(running, "agent log: \(agent.log)")
        let lease = try await client.json(.GET, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/worker")
        #expect(lease["spec"]?["holderIdentity"] == "worker")
        #expect(await agent.stop() == 0, "SIGTERM is a clean shutdown")

        agent = try SkiffProcess(arguments)
        let rejoined = await waitUntil { try await self.isReady(client, "worker") }
        #expect(rejoined)
        #expect(try await podCIDR(client, "worker") == ranges[0], "a node keeps its pod range across agent restarts")
        _ = await agent.stop()
        try await client.shutdown()
    }

    @Test func aSchedulerProcessPlacesOnlyPodsThatNameItAndStandsByForTheLease() async throws {
        let server = try await TestAPIServer()
        defer { Task { await server.stop() } }
        let client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: server.kubeconfig.path))
        let pool = SimulatedNodePool(client: client, nodes: SimulatedNodeSpec.pool(prefix: "n", count: 2),
                                     heartbeatInterval: .seconds(1), logger: Logger(label: "test.sim"))
        let nodes = Task { try await pool.run() }
        defer { nodes.cancel() }
        let kubeconfig = server.kubeconfig.path
        let election = ["--leader-elect-lease-duration", "3s", "--leader-elect-renew-deadline", "2s",
                        "--leader-elect-retry-period", "200ms", "--leader-elect-resource-name", "custom-scheduler"]
        let first = try SkiffProcess(["scheduler", "--kubeconfig", kubeconfig, "--scheduler-name", "custom"] + election)
        func pod(_ name: String, scheduler: String?) -> JSONValue {
            var spec: JSONObject = ["containers": [["name": "c", "image": "busybox"]]]
            if let scheduler { spec["schedulerName"] = .string(scheduler) }
            return ["metadata": ["name": .string(name)], "spec": .object(spec)]
        }
        func nodeName(_ name: String) async throws -> String? {
            try await client.json(.GET, "/api/v1/namespaces/default/pods/\(name)")["spec"]?["nodeName"]?.stringValue
        }
        _ = try await client.json(.POST, "/api/v1/namespaces/default/pods", body: pod("mine", scheduler: "custom"))
        _ = try await client.json(.POST, "/api/v1/namespaces/default/pods", body: pod("default", scheduler: nil))
        let placed = await waitUntil { try await nodeName("mine") != nil }
        #expect(placed, "scheduler log: \(first.log)")
        #expect(try await nodeName("default") == nil, "a pod for another scheduler is left alone")

        // A second instance waits on the lease; when the leader goes, it takes over.
        let second = try SkiffProcess(["scheduler", "--kubeconfig", kubeconfig, "--scheduler-name", "custom"] + election)
        let lease = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/custom-scheduler"
        let firstHolder = try await client.json(.GET, lease)["spec"]?["holderIdentity"]?.stringValue
        _ = await first.stop()
        let tookOver = await waitUntil(timeout: .seconds(20)) {
            let holder = try await client.json(.GET, lease)["spec"]?["holderIdentity"]?.stringValue
            return holder != nil && holder != firstHolder
        }
        #expect(tookOver, "standby log: \(second.log)")
        _ = try await client.json(.POST, "/api/v1/namespaces/default/pods", body: pod("later", scheduler: "custom"))
        let placedLater = await waitUntil { try await nodeName("later") != nil }
        #expect(placedLater, "standby log: \(second.log)")
        _ = await second.stop()
        try await client.shutdown()
    }

    @Test(arguments: [
        (["agent", "--server", "ftp://example"], "--server must be a URL"),
        (["agent", "--server", "https://127.0.0.1:1"], "--server needs --token"),
        (["agent", "--runtime", "docker"], "--runtime must be one of"),
        (["agent", "--oci-runtime", "youki"], "--oci-runtime must be runc or crun (got \"youki\")"),
        (["server", "--oci-runtime", "kata"], "--oci-runtime must be runc or crun (got \"kata\")"),
        (["agent", "--node-name", "Bad_Name"], "is not a valid node name"),
        (["agent", "--server", "https://127.0.0.1:1", "--token", "t", "--certificate-authority", "/nonexistent/ca.crt"],
         "cannot read the server's CA"),
        (["scheduler", "--leader-elect-lease-duration", "1s", "--leader-elect-renew-deadline", "2s"],
         "--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline"),
        (["scheduler", "--leader-elect-retry-period", "soon"], "invalid duration"),
        (["server", "--cluster-dns", "ten.0.0.1"], "--cluster-dns must be an IPv4 address (got \"ten.0.0.1\")"),
        (["server", "--cluster-domain", "bad domain"], "--cluster-domain must be a DNS domain"),
        (["server", "--dns-port", "0"], "--dns-port must be between 1 and 65535 (got 0)"),
        (["agent", "--cluster-cidr", "10.244.0.0"], "--cluster-cidr must be an IPv4 range"),
        (["agent", "--resolv-conf", "etc/resolv.conf"], "--resolv-conf must be an absolute path"),
        (["proxy", "--kubeconfig", "/nonexistent/kubeconfig", "--cluster-cidr", "nope"], "--cluster-cidr"),
    ])
    func badFlagsAreRefusedWithAMessageNamingThem(arguments: [String], message: String) async throws {
        let result = try await SkiffProcess.run(arguments + ["--data-dir", FileManager.default.temporaryDirectory.path + "/skiff-none"],
                                                timeout: .seconds(30))
        #expect(!result.succeeded)
        #expect(result.stderr.contains(message), "\(result)")
    }
}
