import Foundation
import SkiffAPI
@testable import SkiffControllers
import Testing

@Suite struct WorkloadDecisionTests {
    @Test func replicaDeltaIsCappedByBurst() {
        #expect(ReplicaSetDecisions.replicaDelta(active: 0, desired: 3) == 3)
        #expect(ReplicaSetDecisions.replicaDelta(active: 5, desired: 2) == -3)
        #expect(ReplicaSetDecisions.replicaDelta(active: 0, desired: 2000) == 500)
        #expect(ReplicaSetDecisions.replicaDelta(active: 2, desired: 2) == 0)
    }

    @Test func slowStartDoublesUpToTheCount() {
        #expect(ReplicaSetDecisions.slowStartBatches(count: 10) == [1, 2, 4, 3])
        #expect(ReplicaSetDecisions.slowStartBatches(count: 1) == [1])
        #expect(ReplicaSetDecisions.slowStartBatches(count: 0) == [])
    }

    static func pod(_ name: String, node: String = "", phase: String = "Running", ready: Bool = true,
                    created: String = "2024-01-01T00:00:00Z") -> JSONValue {
        ["metadata": ["name": .string(name), "namespace": "default", "creationTimestamp": .string(created)],
         "spec": ["nodeName": .string(node)],
         "status": ["phase": .string(phase),
                    "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False"),
                                    "lastTransitionTime": "2024-01-01T00:00:00Z"]]]]
    }

    @Test func deletesUnscheduledThenPendingThenNotReadyThenNewest() {
        let pods = [Self.pod("old", node: "n1"), Self.pod("new", node: "n2", created: "2024-02-01T00:00:00Z"),
                    Self.pod("unready", node: "n3", ready: false), Self.pod("pending", node: "n4", phase: "Pending", ready: false),
                    Self.pod("unscheduled", phase: "Pending", ready: false)]
        let order = ReplicaSetDecisions.podsToDelete(pods, count: 4).map(\.objectName)
        #expect(order == ["unscheduled", "pending", "unready", "new"])
    }

    @Test func expectationsBlockUntilObserved() {
        let expectations = ControllerExpectations()
        #expect(expectations.satisfied("a"))
        expectations.expectCreations("a", count: 2)
        #expect(!expectations.satisfied("a"))
        expectations.creationObserved("a")
        #expect(!expectations.satisfied("a"))
        expectations.creationObserved("a")
        #expect(expectations.satisfied("a"))
        expectations.expectDeletions("a", podKeys: ["default/x"])
        #expect(!expectations.satisfied("a"))
        #expect(expectations.satisfied("a", now: Date().addingTimeInterval(301)))
        expectations.deletionObserved("a", podKey: "default/x")
        #expect(expectations.satisfied("a"))
    }

    @Test func fencepostsResolvePercentagesAndInts() {
        let defaults = DeploymentMath.fenceposts(maxSurge: nil, maxUnavailable: nil, replicas: 10)
        #expect(defaults.surge == 3 && defaults.unavailable == 2)
        let zero = DeploymentMath.fenceposts(maxSurge: 0, maxUnavailable: "0%", replicas: 10)
        #expect(zero.surge == 0 && zero.unavailable == 1)
        let mixed = DeploymentMath.fenceposts(maxSurge: "50%", maxUnavailable: 2, replicas: 3)
        #expect(mixed.surge == 2 && mixed.unavailable == 2)
    }

    @Test func rollingStepMath() {
        // 3 replicas, surge 1: the new RS grows by one while the old still has 3.
        #expect(DeploymentMath.newReplicaSetReplicas(desired: 3, maxSurge: 1, currentPodCount: 3, newReplicaSetReplicas: 0) == 1)
        #expect(DeploymentMath.newReplicaSetReplicas(desired: 3, maxSurge: 1, currentPodCount: 4, newReplicaSetReplicas: 1) == 1)
        #expect(DeploymentMath.newReplicaSetReplicas(desired: 3, maxSurge: 5, currentPodCount: 3, newReplicaSetReplicas: 0) == 3)
        // 4 pods, 3 desired, maxUnavailable 0, new pod not yet available: nothing may go.
        #expect(DeploymentMath.maxScaledDown(allPods: 4, desired: 3, maxUnavailable: 0, newUnavailable: 1) == 0)
        #expect(DeploymentMath.maxScaledDown(allPods: 4, desired: 3, maxUnavailable: 0, newUnavailable: 0) == 1)
    }

    @Test func proportionalScalingKeepsTheTotal() {
        let sizes = DeploymentMath.proportionalSizes([6, 3], add: 3)
        #expect(sizes.reduce(0, +) == 12)
        #expect(DeploymentMath.proportionalSizes([6, 3], add: -9).reduce(0, +) == 0)
    }

    @Test func templateHashIsStableAndSensitive() {
        let a: JSONValue = ["metadata": ["labels": ["app": "nginx"]], "spec": ["containers": [["name": "nginx", "image": "nginx:1.24"]]]]
        let reordered: JSONValue = ["spec": ["containers": [["image": "nginx:1.24", "name": "nginx"]]], "metadata": ["labels": ["app": "nginx"]]]
        let changed: JSONValue = ["metadata": ["labels": ["app": "nginx"]], "spec": ["containers": [["name": "nginx", "image": "nginx:1.25"]]]]
        let hash = DeploymentMath.podTemplateHash(a)
        #expect(hash == DeploymentMath.podTemplateHash(reordered))
        #expect(hash != DeploymentMath.podTemplateHash(changed))
        #expect(hash != DeploymentMath.podTemplateHash(a, collisionCount: 1))
        #expect(hash.allSatisfy { "bcdfghjklmnpqrstvwxz2456789".contains($0) })
        var labelled = a
        labelled.setValue(.string(hash), at: ["metadata", "labels", "pod-template-hash"])
        #expect(DeploymentMath.templatesEqualIgnoringHash(labelled, reordered))
    }
}
