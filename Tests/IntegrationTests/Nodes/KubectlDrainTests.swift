import Foundation
import Logging
import SkiffAPI
import SkiffClient
import SkiffControllers
import SkiffKubelet
import SkiffScheduler
import SkiffTesting
import Testing

/// `kubectl drain` against simulated nodes, the scheduler and the workload and disruption controllers:
/// a PodDisruptionBudget that allows nothing stops the drain (kubectl reports it and retries), one that
/// allows a pod at a time lets it finish, and the pods come back on the other nodes.
@Suite struct KubectlDrainTests {
    static let pods = "/api/v1/namespaces/default/pods"
    static let budgets = "/apis/policy/v1/namespaces/default/poddisruptionbudgets"

    func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting until \(what)")
        throw CancellationError()
    }

    /// Pods of app=web not being deleted, with their nodes and readiness.
    func webPods(_ client: RESTClient) async throws -> [(name: String, node: String, ready: Bool)] {
        let items = try await client.json(.GET, Self.pods, query: [("labelSelector", "app=web")])["items"]?.arrayValue ?? []
        return items.filter { $0["metadata"]?["deletionTimestamp"] == nil }.map { pod in
            let ready = (pod["status"]?["conditions"]?.arrayValue ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }
            return (pod["metadata"]?["name"]?.stringValue ?? "", pod["spec"]?["nodeName"]?.stringValue ?? "", ready)
        }
    }

    @Test func drainRespectsTheDisruptionBudget() async throws {
        guard let binary = Kubectl.locate() else {
            if Kubectl.isRequired { Issue.record("kubectl is required (CI=true) but was not found") }
            return
        }
        let server = try await TestAPIServer()
        let config = try ClientConfig.fromKubeconfig(path: server.kubeconfig.path)
        let client = try RESTClient(config: config)
        var logger = Logger(label: "test.drain")
        logger.logLevel = .warning
        let pool = SimulatedNodePool(client: client, nodes: SimulatedNodeSpec.pool(prefix: "node", count: 3),
                                     heartbeatInterval: .milliseconds(250), logger: logger)
        let scheduler = Scheduler(client: client, logger: logger)
        let manager = ControllerManager(config: config, configuration: .init(
            leaderElect: false,
            controllers: [ReplicaSetController(workers: 2), DeploymentController(workers: 2), DisruptionController()]),
                                        logger: logger)
        let tasks = [Task { try await pool.run() }, Task { try await scheduler.run() }, Task { try await manager.run() }]
        let kubectl = Kubectl(binary: binary, kubeconfig: server.kubeconfig)
        do {
            try await check(kubectl, client)
        } catch {
            Issue.record("drain test failed: \(error)")
        }
        for task in tasks { task.cancel() }
        for task in tasks { _ = await task.result }
        try? await client.shutdown()
        await server.stop()
    }

    func check(_ kubectl: Kubectl, _ client: RESTClient) async throws {
        var result = try await kubectl.run(["create", "deployment", "web", "--image=nginx", "--replicas=2"])
        #expect(result.succeeded, "\(result)")
        try await eventually("two web pods run Ready") {
            let pods = try await webPods(client)
            return pods.count == 2 && pods.allSatisfy { $0.ready && !$0.node.isEmpty }
        }
        result = try await kubectl.run(["create", "poddisruptionbudget", "web", "--selector=app=web", "--min-available=2"])
        #expect(result.succeeded, "\(result)")
        try await eventually("the budget allows no disruption") {
            let status = try await client.json(.GET, "\(Self.budgets)/web")["status"]
            return status?["currentHealthy"] == 2 && status?["desiredHealthy"] == 2 && status?["observedGeneration"] == 1
        }
        let node = try #require(try await webPods(client).first?.node)
        let before = Set(try await webPods(client).map(\.name))

        // minAvailable = replicas: every eviction is refused; kubectl says why and retries until its timeout.
        result = try await kubectl.run(["drain", node, "--ignore-daemonsets", "--timeout=5s"])
        #expect(!result.succeeded)
        #expect(result.output.contains("Cannot evict pod as it would violate the pod's disruption budget."), "\(result)")
        #expect(result.output.contains("will retry after 5s"), "\(result)")
        #expect(Set(try await webPods(client).map(\.name)) == before)
        let cordoned = try await client.json(.GET, "/api/v1/nodes/\(node)")
        #expect(cordoned["spec"]?["unschedulable"] == true)

        // One at a time: the drain finishes, and the pods run again on the other nodes.
        result = try await kubectl.run(["patch", "poddisruptionbudget", "web", "--type=merge", "-p", #"{"spec":{"minAvailable":1}}"#])
        #expect(result.succeeded, "\(result)")
        try await eventually("the budget allows one disruption") {
            let status = try await client.json(.GET, "\(Self.budgets)/web")["status"]
            return status?["observedGeneration"] == 2 && status?["disruptionsAllowed"] == 1
        }
        result = try await kubectl.run(["drain", node, "--ignore-daemonsets", "--timeout=90s"], timeout: .seconds(120))
        #expect(result.succeeded, "\(result)")
        #expect(result.output.contains("node/\(node) drained"), "\(result)")
        try await eventually("two web pods run Ready away from the drained node") {
            let pods = try await webPods(client)
            return pods.count == 2 && pods.allSatisfy { $0.ready && !$0.node.isEmpty && $0.node != node }
        }
    }
}
