import Foundation
import SkiffAPI
import Testing
@testable import SkiffControllers

@Suite struct NodeHealthTests {
    let node: JSONValue = [
        "metadata": ["name": "n"],
        "status": ["conditions": [
            ["type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": "2026-11-25T08:00:00Z"],
            ["type": "MemoryPressure", "status": "False"],
        ]],
    ]

    @Test func silentNodesGetUnknownConditionsOnce() throws {
        let conditions = try #require(NodeHealth.conditionsMarkedUnknown(node, now: "2026-11-25T09:00:00Z"))
        let ready = try #require(conditions.first { $0["type"] == "Ready" })
        #expect(ready["status"] == "Unknown")
        #expect(ready["reason"] == "NodeStatusUnknown")
        #expect(ready["message"] == "Kubelet stopped posting node status.")
        #expect(ready["lastHeartbeatTime"] == "2026-11-25T08:00:00Z")
        #expect(conditions.count == 4)
        var marked = node
        marked["status"] = ["conditions": .array(conditions)]
        #expect(NodeHealth.conditionsMarkedUnknown(marked, now: "2026-11-25T09:00:01Z") == nil)
        #expect(NodeHealth.readyStatus(marked) == "Unknown")
    }

    @Test func taintsFollowTheReadyCondition() throws {
        let now = "2026-11-25T09:00:00Z"
        let user: JSONValue = ["key": "dedicated", "value": "gpu", "effect": "NoSchedule"]
        let unreachable = try #require(NodeHealth.reconcileTaints([user], wantedKey: NodeHealth.wantedTaintKey(readyStatus: "Unknown"), now: now))
        #expect(unreachable.count == 3)
        #expect(unreachable.contains { $0["key"] == "node.kubernetes.io/unreachable" && $0["effect"] == "NoExecute" && $0["timeAdded"] == .string(now) })
        #expect(NodeHealth.reconcileTaints(unreachable, wantedKey: NodeHealth.unreachableTaint, now: now) == nil)
        let notReady = try #require(NodeHealth.reconcileTaints(unreachable, wantedKey: NodeHealth.wantedTaintKey(readyStatus: "False"), now: now))
        #expect(!notReady.contains { $0["key"] == "node.kubernetes.io/unreachable" })
        #expect(notReady.contains { $0["key"] == "node.kubernetes.io/not-ready" && $0["effect"] == "NoSchedule" })
        #expect(NodeHealth.reconcileTaints(notReady, wantedKey: NodeHealth.wantedTaintKey(readyStatus: "True"), now: now) == [user])
    }

    @Test func podsLeaveAfterTheirTolerationSeconds() throws {
        let added = Date(timeIntervalSince1970: 1_795_600_000)
        let taints: [JSONValue] = [["key": "node.kubernetes.io/unreachable", "effect": "NoExecute",
                                    "timeAdded": .string(NodeHealth.format(added))]]
        let defaulted: JSONValue = ["spec": ["tolerations": [
            ["key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300],
            ["key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5],
        ]]]
        #expect(NodeHealth.evictionTime(pod: defaulted, taints: taints, now: added) == added.addingTimeInterval(5))
        let intolerant: JSONValue = ["spec": [:]]
        #expect(NodeHealth.evictionTime(pod: intolerant, taints: taints, now: added) == added)
        let forever: JSONValue = ["spec": ["tolerations": [["operator": "Exists"]]]]
        #expect(NodeHealth.evictionTime(pod: forever, taints: taints, now: added) == nil)
        #expect(NodeHealth.evictionTime(pod: intolerant, taints: [["key": "x", "effect": "NoSchedule"]], now: added) == nil)
    }
}
