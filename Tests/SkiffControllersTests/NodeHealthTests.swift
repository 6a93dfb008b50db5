import Foundation
import SkiffAPI
import Testing
@testable import SkiffControllers

@Suite struct NodeHealthTests {
    let node = core.v1.Node(metadata: meta.v1.ObjectMeta(name: "n"), status: core.v1.NodeStatus(conditions: [
        core.v1.NodeCondition(lastHeartbeatTime: "2026-11-25T08:00:00Z", reason: "KubeletReady", status: "True", type: "Ready"),
        core.v1.NodeCondition(status: "False", type: "MemoryPressure"),
    ]))

    @Test func silentNodesGetUnknownConditionsOnce() throws {
        let conditions = try #require(NodeHealth.conditionsMarkedUnknown(node, now: "2026-11-25T09:00:00Z"))
        let ready = try #require(conditions.first { $0.type == "Ready" })
        #expect(ready.status == "Unknown")
        #expect(ready.reason == "NodeStatusUnknown")
        #expect(ready.message == "Kubelet stopped posting node status.")
        #expect(ready.lastHeartbeatTime == "2026-11-25T08:00:00Z")
        #expect(ready.lastTransitionTime == "2026-11-25T09:00:00Z")
        #expect(conditions.count == 4)
        #expect(conditions.first { $0.type == "DiskPressure" }?.reason == "NodeStatusNeverUpdated")
        var marked = node
        marked.status?.conditions = conditions
        #expect(NodeHealth.conditionsMarkedUnknown(marked, now: "2026-11-25T09:00:01Z") == nil)
        #expect(NodeHealth.readyStatus(marked) == "Unknown")
    }

    @Test func taintsFollowTheReadyCondition() throws {
        let now: meta.v1.Time = "2026-11-25T09:00:00Z"
        let user = core.v1.Taint(effect: "NoSchedule", key: "dedicated", value: "gpu")
        let unreachable = try #require(NodeHealth.reconcileTaints([user], wantedKey: NodeHealth.wantedTaintKey(readyStatus: "Unknown"), now: now))
        #expect(unreachable.count == 3)
        #expect(unreachable.contains { $0.key == "node.kubernetes.io/unreachable" && $0.effect == "NoExecute" && $0.timeAdded == now })
        #expect(NodeHealth.reconcileTaints(unreachable, wantedKey: NodeHealth.unreachableTaint, now: now) == nil)
        let notReady = try #require(NodeHealth.reconcileTaints(unreachable, wantedKey: NodeHealth.wantedTaintKey(readyStatus: "False"), now: now))
        #expect(!notReady.contains { $0.key == "node.kubernetes.io/unreachable" })
        #expect(notReady.contains { $0.key == "node.kubernetes.io/not-ready" && $0.effect == "NoSchedule" })
        #expect(NodeHealth.reconcileTaints(notReady, wantedKey: NodeHealth.wantedTaintKey(readyStatus: "True"), now: now) == [user])
    }

    @Test func podsLeaveAfterTheirTolerationSeconds() throws {
        let added = Date(timeIntervalSince1970: 1_795_600_000)
        let taints = [core.v1.Taint(effect: "NoExecute", key: "node.kubernetes.io/unreachable", timeAdded: meta.v1.Time(added))]
        let defaulted = [
            core.v1.Toleration(effect: "NoExecute", key: "node.kubernetes.io/not-ready", operator: "Exists", tolerationSeconds: 300),
            core.v1.Toleration(effect: "NoExecute", key: "node.kubernetes.io/unreachable", operator: "Exists", tolerationSeconds: 5),
        ]
        #expect(NodeHealth.evictionTime(tolerations: defaulted, taints: taints, now: added) == added.addingTimeInterval(5))
        #expect(NodeHealth.evictionTime(tolerations: [], taints: taints, now: added) == added)
        #expect(NodeHealth.evictionTime(tolerations: [core.v1.Toleration(operator: "Exists")], taints: taints, now: added) == nil)
        #expect(NodeHealth.evictionTime(tolerations: [], taints: [core.v1.Taint(effect: "NoSchedule", key: "x")], now: added) == nil)
        // Equal (the default operator) needs the same value.
        let equal = core.v1.Toleration(key: "k", value: "a")
        #expect(NodeHealth.tolerates(equal, core.v1.Taint(effect: "NoExecute", key: "k", value: "a")))
        #expect(!NodeHealth.tolerates(equal, core.v1.Taint(effect: "NoExecute", key: "k", value: "b")))
    }
}
