import SkiffAPI
import SkiffClient
import Testing
@testable import SkiffControllers

@Suite struct PodGCDecisionsTests {
    func pod(_ name: String, created: String, phase: String = "Succeeded", reason: String? = nil) -> core.v1.Pod {
        core.v1.Pod(metadata: meta.v1.ObjectMeta(creationTimestamp: meta.v1.Time(rfc3339: created), name: name),
                    status: core.v1.PodStatus(phase: phase, reason: reason))
    }

    @Test func evictedPodsGoFirstThenTheOldestThenByName() {
        let pods = [
            pod("new", created: "2026-01-01T10:00:02Z"),
            pod("b-old", created: "2026-01-01T10:00:00Z", phase: "Failed"),
            pod("a-old", created: "2026-01-01T10:00:00Z"),
            pod("evicted", created: "2026-01-01T10:00:09Z", phase: "Failed", reason: "Evicted"),
            pod("running", created: "2026-01-01T09:00:00Z", phase: "Running"),
        ]
        #expect(PodGCDecisions.terminatedOverThreshold(pods, threshold: 1).map(\.objectName) == ["evicted", "a-old", "b-old"])
        #expect(PodGCDecisions.terminatedOverThreshold(pods, threshold: 4).isEmpty)
        #expect(PodGCDecisions.terminatedOverThreshold(pods, threshold: 0).isEmpty)
    }

    @Test func runningPodsAreMarkedFailedWithTheConditionOnce() throws {
        let running = try core.v1.Pod(json: ["status": ["phase": "Running", "conditions": [
            ["type": "Ready", "status": "True"],
            ["type": "DisruptionTarget", "status": "True", "reason": "Other", "lastTransitionTime": "2026-01-01T00:00:00Z"],
        ]]])
        let status = try #require(PodGCDecisions.failedStatus(running, condition: PodGCDecisions.orphanCondition, now: "2026-02-02T00:00:00Z"))
        #expect(status.phase == "Failed")
        let conditions = status.conditions ?? []
        #expect(conditions.count == 2)
        #expect(conditions[1].reason == "DeletionByPodGC")
        #expect(conditions[1].lastTransitionTime == "2026-01-01T00:00:00Z")
        // A condition met for the first time is stamped now.
        let fresh = try #require(PodGCDecisions.failedStatus(pod("p", created: "2026-01-01T00:00:00Z", phase: "Running"),
                                                             condition: PodGCDecisions.orphanCondition, now: "2026-02-02T00:00:00Z"))
        #expect(fresh.conditions?.first?.lastTransitionTime == "2026-02-02T00:00:00Z")
        #expect(PodGCDecisions.failedStatus(pod("done", created: "2026-01-01T00:00:00Z"), condition: nil, now: "x") == nil)
        let pending = try #require(PodGCDecisions.failedStatus(pod("p", created: "2026-01-01T00:00:00Z", phase: "Pending"),
                                                               condition: nil, now: "x"))
        #expect(pending.json == ["phase": "Failed"])
    }

    @Test func onlyTerminatingPodsOnOutOfServiceNodesThatAreNotReadyQualify() throws {
        let terminating = core.v1.Pod(metadata: meta.v1.ObjectMeta(deletionTimestamp: "2026-01-01T00:00:00Z", name: "p"),
                                      spec: core.v1.PodSpec(containers: [], nodeName: "n"))
        let taint: JSONValue = ["taints": [["key": "node.kubernetes.io/out-of-service", "effect": "NoExecute"]]]
        let notReady = try core.v1.Node(json: ["spec": taint, "status": ["conditions": [["type": "Ready", "status": "False"]]]])
        let ready = try core.v1.Node(json: ["spec": taint, "status": ["conditions": [["type": "Ready", "status": "True"]]]])
        #expect(PodGCDecisions.terminatingOnOutOfServiceNodes([terminating], nodes: ["n": notReady]).count == 1)
        #expect(PodGCDecisions.terminatingOnOutOfServiceNodes([terminating], nodes: ["n": ready]).isEmpty)
        #expect(PodGCDecisions.terminatingOnOutOfServiceNodes([terminating], nodes: [:]).isEmpty)
    }
}
