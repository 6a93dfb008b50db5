import Foundation
import SkiffAPI
import SkiffClient
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
                    created: String = "2024-01-01T00:00:00Z") -> core.v1.Pod {
        core.v1.Pod(metadata: meta.v1.ObjectMeta(creationTimestamp: meta.v1.Time(rfc3339: created), name: name, namespace: "default"),
                    spec: core.v1.PodSpec(containers: [], nodeName: node),
                    status: core.v1.PodStatus(conditions: [core.v1.PodCondition(lastTransitionTime: "2024-01-01T00:00:00Z",
                                                                                status: ready ? "True" : "False", type: "Ready")],
                                              phase: phase))
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

    @Test func proportionalScalingFollowsUpstreamsRoundingAndLeftovers() {
        let old = Date(timeIntervalSince1970: 1000), new = Date(timeIntervalSince1970: 2000)
        // Upstream's conformance test: 10 replicas (maxSurge 3) stuck mid-rollout at 8 old / 5 new, scaled to 30.
        var sets = [DeploymentMath.ScaledReplicaSet(name: "web-old", created: old, replicas: 8, maxReplicas: 13),
                    DeploymentMath.ScaledReplicaSet(name: "web-new", created: new, replicas: 5, maxReplicas: 13)]
        #expect(DeploymentMath.proportionalSizes(sets, desired: 30, surge: 3, statusReplicas: 13) == [20, 13])
        // Scaled back down to 10: the same proportions, the older one first.
        sets = [DeploymentMath.ScaledReplicaSet(name: "web-old", created: old, replicas: 20, maxReplicas: 33),
                DeploymentMath.ScaledReplicaSet(name: "web-new", created: new, replicas: 13, maxReplicas: 33)]
        #expect(DeploymentMath.proportionalSizes(sets, desired: 10, surge: 3, statusReplicas: 33) == [8, 5])
        // Without the annotation the Deployment's status replicas stand in; to 0, everything goes.
        sets = [DeploymentMath.ScaledReplicaSet(name: "a", created: old, replicas: 6, maxReplicas: nil),
                DeploymentMath.ScaledReplicaSet(name: "b", created: new, replicas: 3, maxReplicas: nil)]
        #expect(DeploymentMath.proportionalSizes(sets, desired: 11, surge: 1, statusReplicas: 9).reduce(0, +) == 12)
        #expect(DeploymentMath.proportionalSizes(sets, desired: 0, surge: 0, statusReplicas: 9) == [0, 0])
    }

    /// `kubectl rollout undo` brings an older ReplicaSet back: it takes the next revision and keeps the ones
    /// it had before in `revision-history`, as upstream's SetNewReplicaSetAnnotations.
    @Test func aReplicaSetBroughtBackKeepsItsOldRevisionsInRevisionHistory() {
        let deployment = apps.v1.Deployment(metadata: meta.v1.ObjectMeta(annotations: ["kubernetes.io/change-cause": "undo",
                                                                                        "deployment.kubernetes.io/revision": "2"]))
        let a = apps.v1.ReplicaSet(metadata: meta.v1.ObjectMeta(annotations: ["deployment.kubernetes.io/revision": "1"], name: "web-a"))
        let back = DeploymentSyncer.newReplicaSetAnnotations(a, deployment: deployment, revision: 3)
        #expect(back.annotations["deployment.kubernetes.io/revision"] == "3")
        #expect(back.annotations["deployment.kubernetes.io/revision-history"] == "1")
        #expect(back.annotations["kubernetes.io/change-cause"] == "undo")
        let again = DeploymentSyncer.newReplicaSetAnnotations(back, deployment: deployment, revision: 5)
        #expect(again.annotations["deployment.kubernetes.io/revision-history"] == "1,3")
        // A revision that is already current changes nothing.
        #expect(DeploymentSyncer.newReplicaSetAnnotations(again, deployment: deployment, revision: 5) == again)
    }

    @Test func templateHashIsStableAndSensitive() throws {
        let a: JSONValue = ["metadata": ["labels": ["app": "nginx"]], "spec": ["containers": [["name": "nginx", "image": "nginx:1.24"]]]]
        let reordered: JSONValue = ["spec": ["containers": [["image": "nginx:1.24", "name": "nginx"]]], "metadata": ["labels": ["app": "nginx"]]]
        let changed: JSONValue = ["metadata": ["labels": ["app": "nginx"]], "spec": ["containers": [["name": "nginx", "image": "nginx:1.25"]]]]
        let hash = DeploymentMath.podTemplateHash(a)
        #expect(hash == DeploymentMath.podTemplateHash(reordered))
        #expect(hash != DeploymentMath.podTemplateHash(changed))
        #expect(hash != DeploymentMath.podTemplateHash(a, collisionCount: 1))
        #expect(hash.allSatisfy { "bcdfghjklmnpqrstvwxz2456789".contains($0) })
        var labelled = try core.v1.PodTemplateSpec(json: a)
        labelled.setLabel("pod-template-hash", hash)
        #expect(DeploymentMath.templatesEqualIgnoringHash(labelled, try core.v1.PodTemplateSpec(json: reordered)))
        #expect(!DeploymentMath.templatesEqualIgnoringHash(labelled, try core.v1.PodTemplateSpec(json: changed)))
        // No labels but the hash is the same template as no labels at all.
        var bare = core.v1.PodTemplateSpec(spec: core.v1.PodSpec(containers: []))
        let plain = bare
        bare.setLabel("pod-template-hash", "x")
        #expect(DeploymentMath.templatesEqualIgnoringHash(bare, plain))
    }
}
