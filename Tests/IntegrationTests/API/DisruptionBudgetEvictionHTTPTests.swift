import Foundation
import SkiffAPI
import SkiffClient
import SkiffTesting
import Testing

/// `pods/{name}/eviction` against PodDisruptionBudgets whose status the test writes itself (no
/// disruption controller runs here), so each of upstream's answers is reached deterministically.
@Suite struct DisruptionBudgetEvictionHTTPTests {
    static let pods = "/api/v1/namespaces/default/pods"
    static let budgets = "/apis/policy/v1/namespaces/default/poddisruptionbudgets"

    struct Cluster {
        let server: TestAPIServer
        let client: RESTClient

        /// Runs `body` with a fresh server, stopping it whatever happens.
        static func with(_ body: (Cluster) async throws -> Void) async throws {
            let server = try await TestAPIServer()
            let cluster = Cluster(server: server, client: try RESTClient(config: try ClientConfig.fromKubeconfig(path: server.kubeconfig.path)))
            do { try await body(cluster) } catch {
                await cluster.stop()
                throw error
            }
            await cluster.stop()
        }

        func stop() async {
            try? await client.shutdown()
            await server.stop()
        }

        /// A pod on a node (that never runs it), Running and Ready or not, as a kubelet would report.
        func runningPod(_ name: String, app: String = "web", ready: Bool = true) async throws {
            _ = try await client.json(.POST, DisruptionBudgetEvictionHTTPTests.pods, body: [
                "metadata": ["name": .string(name), "labels": ["app": .string(app)]],
                "spec": ["nodeName": "somewhere", "containers": [["name": "c", "image": "busybox"]]],
            ])
            _ = try await client.json(.PATCH, "\(DisruptionBudgetEvictionHTTPTests.pods)/\(name)/status", body: [
                "status": ["phase": "Running", "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]]],
            ], contentType: "application/merge-patch+json")
        }

        /// A budget over `app` whose status says what the test wants (observedGeneration current).
        func budget(_ name: String, app: String = "web", spec extra: JSONValue = ["minAvailable": 2],
                    allowed: Int64, current: Int64 = 2, desired: Int64 = 2) async throws {
            var spec = extra
            spec["selector"] = ["matchLabels": ["app": .string(app)]]
            let created = try await client.json(.POST, DisruptionBudgetEvictionHTTPTests.budgets, body: [
                "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": .string(name)], "spec": spec,
            ])
            try await setStatus(name, ["observedGeneration": created["metadata"]?["generation"] ?? 1,
                                       "disruptionsAllowed": .int(allowed), "currentHealthy": .int(current),
                                       "desiredHealthy": .int(desired), "expectedPods": .int(current)])
        }

        func setStatus(_ name: String, _ status: JSONValue) async throws {
            _ = try await client.json(.PATCH, "\(DisruptionBudgetEvictionHTTPTests.budgets)/\(name)/status", body: ["status": status],
                                      contentType: "application/merge-patch+json")
        }

        /// The eviction's answer: its HTTP status and body.
        func evict(_ name: String, deleteOptions: JSONValue? = nil, query: [(String, String)] = []) async throws -> (Int, JSONValue) {
            var body: JSONValue = ["apiVersion": "policy/v1", "kind": "Eviction", "metadata": ["name": .string(name), "namespace": "default"]]
            if let deleteOptions { body["deleteOptions"] = deleteOptions }
            let response = try await client.send(.POST, "\(DisruptionBudgetEvictionHTTPTests.pods)/\(name)/eviction", query: query,
                                                 body: body.serialized())
            return (Int(response.status.code), try response.json())
        }

        func pod(_ name: String) async throws -> JSONValue {
            try await client.json(.GET, "\(DisruptionBudgetEvictionHTTPTests.pods)/\(name)")
        }
    }

    @Test func anExhaustedBudgetRefusesWith429AndAnAllowingOneCountsTheEviction() async throws {
        try await Cluster.with { cluster in
            try await cluster.runningPod("web-1")
            try await cluster.runningPod("web-2")
            try await cluster.budget("web-pdb", allowed: 0)

            let (code, status) = try await cluster.evict("web-1")
            #expect(code == 429)
            #expect(status["reason"] == "TooManyRequests")
            #expect(status["message"] == "Cannot evict pod as it would violate the pod's disruption budget.")
            #expect(status["details"]?["causes"]?[0]?["reason"] == "DisruptionBudget")
            #expect(status["details"]?["causes"]?[0]?["message"] == "The disruption budget web-pdb needs 2 healthy pods and has 2 currently")
            #expect(try await cluster.pod("web-1")["metadata"]?["deletionTimestamp"] == nil)

            // Dry run: allowed, but neither the budget nor the pod changes.
            try await cluster.setStatus("web-pdb", ["disruptionsAllowed": 1, "currentHealthy": 3])
            let (dryCode, _) = try await cluster.evict("web-1", query: [("dryRun", "All")])
            #expect(dryCode == 201)
            #expect(try await cluster.client.json(.GET, "\(Self.budgets)/web-pdb")["status"]?["disruptionsAllowed"] == 1)
            #expect(try await cluster.pod("web-1")["metadata"]?["deletionTimestamp"] == nil)

            // Allowed: the budget loses the disruption and remembers the pod; the pod is marked and deleted.
            let (okCode, ok) = try await cluster.evict("web-1", deleteOptions: ["gracePeriodSeconds": 5])
            #expect(okCode == 201)
            #expect(ok["status"] == "Success")
            let pdb = try await cluster.client.json(.GET, "\(Self.budgets)/web-pdb")
            #expect(pdb["status"]?["disruptionsAllowed"] == 0)
            #expect(pdb["status"]?["disruptedPods"]?["web-1"]?.stringValue != nil)
            let condition = pdb["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "DisruptionAllowed" }
            #expect(condition?["status"] == "False")
            #expect(condition?["reason"] == "InsufficientPods")
            let evicted = try await cluster.pod("web-1")
            #expect(evicted["metadata"]?["deletionTimestamp"] != nil)
            #expect(evicted["metadata"]?["deletionGracePeriodSeconds"] == 5)
            let target = evicted["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "DisruptionTarget" }
            #expect(target?["reason"] == "EvictionByEvictionAPI")
            #expect(target?["message"] == "Eviction API: evicting")

            // The budget is now exhausted for the other pod.
            let (again, _) = try await cluster.evict("web-2")
            #expect(again == 429)
            #expect(try await cluster.pod("web-2")["metadata"]?["deletionTimestamp"] == nil)
        }
    }

    @Test func aStaleBudgetAndTwoBudgetsAreRefused() async throws {
        try await Cluster.with { cluster in
            try await cluster.runningPod("web-1")
            try await cluster.budget("web-pdb", allowed: 1)
            // A spec change the controller has not seen: 429 until observedGeneration catches up.
            _ = try await cluster.client.json(.PATCH, "\(Self.budgets)/web-pdb", body: ["spec": ["minAvailable": 1]],
                                              contentType: "application/merge-patch+json")
            let (code, status) = try await cluster.evict("web-1")
            #expect(code == 429)
            #expect(status["details"]?["causes"]?[0]?["message"] == "The disruption budget web-pdb is still being processed by the server.")
            #expect(status["details"]?["retryAfterSeconds"] == 10)
            #expect(try await cluster.pod("web-1")["metadata"]?["deletionTimestamp"] == nil)

            try await cluster.budget("other-pdb", allowed: 1)
            let (twoCode, two) = try await cluster.evict("web-1")
            #expect(twoCode == 500)
            #expect(two["message"] == "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")
            #expect(try await cluster.pod("web-1")["metadata"]?["deletionTimestamp"] == nil)
        }
    }

    @Test func unhealthyAndIgnoredPodsFollowTheirRules() async throws {
        try await Cluster.with { cluster in
            // Unready, the application short of healthy pods: IfHealthyBudget (the default) refuses...
            try await cluster.runningPod("sick", app: "a", ready: false)
            try await cluster.budget("a-pdb", app: "a", allowed: 0, current: 1, desired: 2)
            #expect(try await cluster.evict("sick").0 == 429)
            // ...AlwaysAllow lets it go without touching the budget.
            _ = try await cluster.client.json(.PATCH, "\(Self.budgets)/a-pdb", body: ["spec": ["unhealthyPodEvictionPolicy": "AlwaysAllow"]],
                                              contentType: "application/merge-patch+json")
            let generation = try await cluster.client.json(.GET, "\(Self.budgets)/a-pdb")["metadata"]?["generation"] ?? 0
            try await cluster.setStatus("a-pdb", ["observedGeneration": generation])
            #expect(try await cluster.evict("sick").0 == 201)
            #expect(try await cluster.pod("sick")["metadata"]?["deletionTimestamp"] != nil)
            #expect(try await cluster.client.json(.GET, "\(Self.budgets)/a-pdb")["status"]?["disruptionsAllowed"] == 0)

            // Unready while the application is whole: deleted with IfHealthyBudget too.
            try await cluster.runningPod("spare", app: "b", ready: false)
            try await cluster.budget("b-pdb", app: "b", allowed: 0, current: 2, desired: 2)
            #expect(try await cluster.evict("spare").0 == 201)

            // A pending pod (no kubelet reported it) ignores budgets, even an exhausted one.
            _ = try await cluster.client.json(.POST, Self.pods, body: [
                "metadata": ["name": "waiting", "labels": ["app": "b"]],
                "spec": ["containers": [["name": "c", "image": "busybox"]]],
            ])
            #expect(try await cluster.evict("waiting").0 == 201)
            // A resourceVersion precondition that no longer holds is a conflict, not a retry.
            try await cluster.runningPod("pinned", app: "c")
            let (conflict, _) = try await cluster.evict("pinned", deleteOptions: ["preconditions": ["resourceVersion": "1"]])
            #expect(conflict == 409)
        }
    }
}
