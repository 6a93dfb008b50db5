import Foundation
import SkiffAPI
import SkiffClient
import SkiffControllers
import Testing

/// The node lifecycle controller on a manual clock against a real API server: the 40-second grace period
/// passes in steps the test takes, and the timestamps the controller writes come from the same clock.
@Suite(.timeLimit(.minutes(5))) struct NodeLifecycleClockTests {
    func readyCondition(_ cluster: TestCluster, _ node: String) async throws -> JSONValue? {
        let object = try await cluster.client.json(.GET, "/api/v1/nodes/\(node)")
        return (object["status"]?["conditions"]?.arrayValue ?? []).first { $0["type"] == "Ready" }
    }

    /// Moves time on and waits until the controller's next look has run and asked to be woken again.
    func step(_ time: ManualClock, by duration: Duration) async throws {
        time.advance(by: duration)
        try await eventually("the controller looked again") { time.sleeperCount > 0 }
    }

    @Test func aSilentNodeGoesUnknownAfterTheGracePeriodOfTheInjectedClock() async throws {
        try await TestCluster.with { cluster in
            let heartbeat = "2026-01-01T00:00:00Z"
            _ = try await cluster.client.json(.POST, "/api/v1/nodes", body: [
                "apiVersion": "v1", "kind": "Node", "metadata": ["name": "quiet"]])
            _ = try await cluster.client.json(.PATCH, "/api/v1/nodes/quiet/status", body: ["status": ["conditions": [[
                "type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
                "lastHeartbeatTime": .string(heartbeat), "lastTransitionTime": .string(heartbeat)]]]],
                contentType: "application/merge-patch+json")
            let time = ManualClock()
            let start = Date(timeIntervalSince1970: 1_900_000_000)
            let manager = RunningManager(client: cluster.client, configuration: .init(
                leaderElect: false, controllers: [NodeLifecycleController(gracePeriod: .seconds(40))],
                clock: .manual(time, startDate: start)))
            try await eventually("the first look has run") { time.sleeperCount > 0 }
            // Looks every 5 s: at 40 s the node has been silent for exactly the grace period, not more.
            for _ in 0..<8 { try await step(time, by: .seconds(5)) }
            #expect(try await readyCondition(cluster, "quiet")?["status"] == "True")

            time.advance(by: .seconds(5))
            try await eventually("the node is Unknown") { try await readyCondition(cluster, "quiet")?["status"] == "Unknown" }
            let condition = try await readyCondition(cluster, "quiet")
            #expect(condition?["reason"] == "NodeStatusUnknown")
            let expected = meta.v1.Time(start.addingTimeInterval(45)).rfc3339
            #expect(condition?["lastTransitionTime"]?.stringValue == expected)
            await manager.stop()
        }
    }
}
