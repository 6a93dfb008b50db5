import Foundation
import SkiffAPI
import SkiffClient
import SkiffControllers
import Testing

/// The disruption controller against a real API server, with the ReplicaSet and Deployment controllers
/// making pods. No kubelet runs: the test turns pods Ready through `pods/{name}/status`.
@Suite(.timeLimit(.minutes(5))) struct DisruptionControllerTests {
    typealias W = WorkloadIntegrationTests
    static let budgets = ResourcePath(group: "policy", version: "v1", resource: "poddisruptionbudgets", namespace: "default")

    static func startManager(_ cluster: TestCluster) -> RunningManager {
        RunningManager(client: cluster.client, configuration: .init(
            leaderElect: false,
            controllers: [ReplicaSetController(workers: 2), DeploymentController(workers: 2), DisruptionController()]))
    }

    static func deployment(_ cluster: TestCluster, _ name: String, replicas: Int64) async throws {
        _ = try await cluster.client.json(.POST, W.deployments.collection, body: [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name)],
            "spec": ["replicas": .int(replicas), "selector": ["matchLabels": ["app": .string(name)]],
                     "template": W.podTemplate(app: name, image: "busybox")],
        ])
    }

    static func budget(_ cluster: TestCluster, _ name: String, app: String, _ spec: JSONValue) async throws {
        var spec = spec
        spec["selector"] = ["matchLabels": ["app": .string(app)]]
        _ = try await cluster.client.json(.POST, budgets.collection, body: [
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": .string(name)], "spec": spec,
        ])
    }

    /// The budget's status as (expectedPods, currentHealthy, desiredHealthy, disruptionsAllowed).
    static func counts(_ cluster: TestCluster, _ name: String) async throws -> [Int64] {
        let status = try await cluster.get(budgets.object(name))?["status"]
        return ["expectedPods", "currentHealthy", "desiredHealthy", "disruptionsAllowed"].map { status?[$0]?.intValue ?? -1 }
    }

    static func condition(_ cluster: TestCluster, _ name: String) async throws -> JSONValue? {
        try await cluster.get(budgets.object(name))?["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "DisruptionAllowed" }
    }

    static func makeAllReady(_ cluster: TestCluster, app: String) async throws {
        for pod in try await W.activePods(cluster, "app=\(app)") where !W.isReady(pod) { try await W.makeReady(pod, cluster) }
    }

    @Test func minAvailableCountsPodsAsTheyTurnReadyAndGo() async throws {
        try await TestCluster.with { cluster in
            let manager = Self.startManager(cluster)
            try await Self.deployment(cluster, "web", replicas: 3)
            try await Self.budget(cluster, "web-pdb", app: "web", ["minAvailable": 2])
            try await eventually("three unready pods are expected, none healthy") {
                try await Self.counts(cluster, "web-pdb") == [3, 0, 2, 0]
            }
            var condition = try await Self.condition(cluster, "web-pdb")
            #expect(condition?["status"] == "False")
            #expect(condition?["reason"] == "InsufficientPods")
            #expect(try await cluster.get(Self.budgets.object("web-pdb"))?["status"]?["observedGeneration"] == 1)

            try await Self.makeAllReady(cluster, app: "web")
            try await eventually("three healthy pods allow one disruption") {
                try await Self.counts(cluster, "web-pdb") == [3, 3, 2, 1]
            }
            condition = try await Self.condition(cluster, "web-pdb")
            #expect(condition?["status"] == "True")
            #expect(condition?["reason"] == "SufficientPods")

            // A pod deleted stops counting; its unready replacement does not count yet.
            let victim = try #require(try await W.activePods(cluster, "app=web").first)
            try await cluster.delete(W.pods.object(victim["metadata"]?["name"]?.stringValue ?? ""))
            try await eventually("two healthy pods allow nothing") {
                let counts = try await Self.counts(cluster, "web-pdb")
                return counts[1] == 2 && counts[3] == 0
            }
            try await eventually("the replacement counts once Ready") {
                try await Self.makeAllReady(cluster, app: "web")
                return try await Self.counts(cluster, "web-pdb") == [3, 3, 2, 1]
            }

            // A spec change is observed: the new generation and its numbers.
            try await cluster.mergePatch(Self.budgets.object("web-pdb"), ["spec": ["minAvailable": 1]])
            try await eventually("observedGeneration follows the spec") {
                let pdb = try await cluster.get(Self.budgets.object("web-pdb"))
                return pdb?["status"]?["observedGeneration"] == 2 && pdb?["status"]?["disruptionsAllowed"] == 2
            }
            await manager.stop()
        }
    }

    @Test func maxUnavailableAndPercentagesUseTheControllersScale() async throws {
        try await TestCluster.with { cluster in
            let manager = Self.startManager(cluster)
            try await Self.deployment(cluster, "api", replicas: 4)
            try await Self.budget(cluster, "api-max", app: "api", ["maxUnavailable": 1])
            try await Self.budget(cluster, "api-pct", app: "api", ["minAvailable": "30%"])
            try await Self.budget(cluster, "api-maxpct", app: "api", ["maxUnavailable": "50%"])
            try await eventually("the deployment's four replicas are expected") {
                let max = try await Self.counts(cluster, "api-max")
                let pct = try await Self.counts(cluster, "api-pct")
                let maxPct = try await Self.counts(cluster, "api-maxpct")
                // 30% of 4 rounds up to 2; 50% unavailable of 4 leaves 2.
                return max == [4, 0, 3, 0] && pct == [4, 0, 2, 0] && maxPct == [4, 0, 2, 0]
            }
            try await eventually("four healthy pods") {
                try await Self.makeAllReady(cluster, app: "api")
                let max = try await Self.counts(cluster, "api-max")
                let pct = try await Self.counts(cluster, "api-pct")
                return max == [4, 4, 3, 1] && pct == [4, 4, 2, 2]
            }
            // Scaling the deployment changes what is expected even before pods come or go.
            try await cluster.mergePatch(W.deployments.object("api"), ["spec": ["replicas": 6]])
            try await eventually("six replicas are expected") { try await Self.counts(cluster, "api-max")[0] == 6 }
            await manager.stop()
        }
    }

    @Test func aPodWhoseControllerIsMissingFailsTheSyncSafely() async throws {
        try await TestCluster.with { cluster in
            let manager = Self.startManager(cluster)
            _ = try await cluster.client.json(.POST, W.pods.collection, body: [
                "metadata": ["name": "orphan", "labels": ["app": "lost"],
                             "ownerReferences": [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "gone",
                                                  "uid": "00000000-0000-0000-0000-000000000001", "controller": true]]],
                "spec": ["containers": [["name": "c", "image": "busybox"]]],
            ])
            try await Self.budget(cluster, "lost-pdb", app: "lost", ["maxUnavailable": 1])
            try await eventually("the budget reports SyncFailed") {
                try await Self.condition(cluster, "lost-pdb")?["reason"] == "SyncFailed"
            }
            let condition = try await Self.condition(cluster, "lost-pdb")
            #expect(condition?["status"] == "False")
            #expect(condition?["message"] == "found no controllers for pod \"orphan\"")
            #expect(try await cluster.get(Self.budgets.object("lost-pdb"))?["status"]?["disruptionsAllowed"] == 0)
            await manager.stop()
        }
    }

    @Test func disruptedPodsStopCountingUntilTheyExpire() async throws {
        try await TestCluster.with { cluster in
            let manager = Self.startManager(cluster)
            try await Self.deployment(cluster, "db", replicas: 2)
            try await Self.budget(cluster, "db-pdb", app: "db", ["minAvailable": 1])
            try await eventually("two pods") { try await W.activePods(cluster, "app=db").count == 2 }
            try await Self.makeAllReady(cluster, app: "db")
            try await eventually("two healthy pods") { try await Self.counts(cluster, "db-pdb") == [2, 2, 1, 1] }

            // An eviction recorded just now (but no deletion yet) takes the pod out of the healthy count;
            // one recorded three minutes ago has expired and is dropped.
            let names = try await W.activePods(cluster, "app=db").compactMap { $0["metadata"]?["name"]?.stringValue }.sorted()
            let fresh = Date().formatted(Date.ISO8601FormatStyle())
            let stale = Date().addingTimeInterval(-180).formatted(Date.ISO8601FormatStyle())
            try await cluster.mergePatch(Self.budgets.object("db-pdb") + "/status",
                                         ["status": ["disruptedPods": [names[0]: .string(fresh), names[1]: .string(stale)]]])
            try await eventually("the fresh entry stays, the stale one goes") {
                let status = try await cluster.get(Self.budgets.object("db-pdb"))?["status"]
                return status?["disruptedPods"]?[names[0]] != nil && status?["disruptedPods"]?[names[1]] == nil
                    && status?["currentHealthy"] == 1 && status?["disruptionsAllowed"] == 0
            }
            await manager.stop()
        }
    }
}
