import Foundation
import SkiffAPI
import Testing

@testable import SkiffKubelet

/// Probe verdicts, thresholds and kills in the pod machine, driven without processes.
@Suite struct PodMachineProbeTests {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    func running(_ probes: PodMachine.ContainerProbes, policy: PodMachine.RestartPolicy = .always) -> PodMachine {
        var m = PodMachine(podDescription: "p_default(u1)", initContainers: [], containers: ["c"], restartPolicy: policy,
                           probes: ["c": probes])
        _ = m.step(now: t0)
        m.started("c", containerID: "x1", at: t0, image: "i", imageID: "id")
        return m
    }

    func ready(_ m: PodMachine) -> (container: Bool?, condition: String?) {
        let status = m.status(now: t0, hostIP: "h", startTime: t0, previous: nil)
        return (status.containerStatuses?.first?.ready, status.conditions?.first { $0.type == "Ready" }?.status)
    }

    func unhealthy(_ kind: String, _ output: String) -> PodMachine.Action {
        .event(.init(container: "c", isInit: false, type: "Warning", reason: "Unhealthy", message: "\(kind) probe failed: \(output)"))
    }

    @Test func aContainerWithoutReadinessProbeIsReadyOnceRunning() {
        let m = running(PodMachine.ContainerProbes())
        #expect(ready(m).container == true)
        #expect(ready(m).condition == "True")
    }

    @Test func readinessFollowsTheProbeWithItsThresholds() {
        var m = running(.init(readiness: .init(success: 2, failure: 2)))
        #expect(ready(m).container == false, "not ready until the probe succeeds")
        #expect(ready(m).condition == "False")
        let status = m.status(now: t0, hostIP: "h", startTime: t0, previous: nil)
        #expect(status.conditions?.first { $0.type == "ContainersReady" }?.message == "containers with unready status: [c]")
        #expect(status.containerStatuses?.first?.started == true)
        m.probed(containerID: "x1", kind: .readiness, success: true, output: "", now: t0)
        #expect(ready(m).container == false, "successThreshold 2")
        m.probed(containerID: "x1", kind: .readiness, success: true, output: "", now: t0)
        #expect(ready(m).container == true)
        #expect(ready(m).condition == "True")
        m.probed(containerID: "x1", kind: .readiness, success: false, output: "no file\n", now: t0)
        #expect(m.step(now: t0) == [unhealthy("Readiness", "no file\n")])
        #expect(ready(m).container == true, "failureThreshold 2")
        m.probed(containerID: "x1", kind: .readiness, success: false, output: "no file\n", now: t0)
        #expect(ready(m).container == false)
        #expect(m.step(now: t0) == [unhealthy("Readiness", "no file\n")], "readiness never kills")
        m.probed(containerID: "other", kind: .readiness, success: true, output: "", now: t0)
        #expect(ready(m).container == false, "a result for another container is ignored")
    }

    @Test func aFailedLivenessProbeKillsAfterTheThresholdAndTheContainerRestarts() {
        var m = running(.init(liveness: .init(failure: 2), killGrace: .seconds(5)))
        m.probed(containerID: "x1", kind: .liveness, success: false, output: "", now: t0)
        #expect(m.step(now: t0) == [unhealthy("Liveness", "")])
        m.probed(containerID: "x1", kind: .liveness, success: true, output: "", now: t0)
        m.probed(containerID: "x1", kind: .liveness, success: false, output: "", now: t0)
        #expect(m.step(now: t0) == [unhealthy("Liveness", "")], "a success in between starts the count again")
        m.probed(containerID: "x1", kind: .liveness, success: false, output: "boom", now: t0)
        let deadline = t0.addingTimeInterval(5)
        #expect(m.step(now: t0) == [
            unhealthy("Liveness", "boom"),
            .event(.init(container: "c", isInit: false, type: "Normal", reason: "Killing",
                         message: "Container c failed liveness probe, will be restarted")),
            .stop(containerID: "x1", force: false),
            .wake(at: deadline),
        ])
        #expect(!m.wantsProbe(containerID: "x1", kind: .liveness), "on hold while being killed")
        m.probed(containerID: "x1", kind: .liveness, success: false, output: "", now: t0)
        #expect(m.step(now: t0) == [.wake(at: deadline)], "no second kill")
        #expect(m.step(now: deadline) == [.stop(containerID: "x1", force: true)])
        m.exited(containerID: "x1", exitCode: 137, at: deadline)
        #expect(m.step(now: deadline) == [.start(container: "c", restartCount: 1)])
        m.started("c", containerID: "x2", at: deadline, image: "i", imageID: "id")
        #expect(m.containers[0].restartCount == 1)
        #expect(m.wantsProbe(containerID: "x2", kind: .liveness), "the new run is probed afresh")
    }

    @Test func livenessAndReadinessWaitForTheStartupProbe() {
        var m = running(.init(readiness: .init(), liveness: .init(failure: 1), startup: .init(failure: 2)))
        #expect(m.wantsProbe(containerID: "x1", kind: .startup))
        #expect(!m.wantsProbe(containerID: "x1", kind: .liveness))
        #expect(!m.wantsProbe(containerID: "x1", kind: .readiness))
        m.probed(containerID: "x1", kind: .liveness, success: false, output: "", now: t0)
        #expect(m.step(now: t0) == [], "liveness is not counted before startup")
        #expect(m.status(now: t0, hostIP: "h", startTime: t0, previous: nil).containerStatuses?.first?.started == false)
        m.probed(containerID: "x1", kind: .startup, success: true, output: "", now: t0)
        #expect(m.status(now: t0, hostIP: "h", startTime: t0, previous: nil).containerStatuses?.first?.started == true)
        #expect(!m.wantsProbe(containerID: "x1", kind: .startup), "startup stops once it succeeded")
        #expect(m.wantsProbe(containerID: "x1", kind: .liveness))
        #expect(ready(m).container == false, "readiness still to pass")
    }

    @Test func aStartupProbeThatKeepsFailingKills() {
        var m = running(.init(startup: .init(failure: 2), killGrace: .seconds(1)), policy: .never)
        m.probed(containerID: "x1", kind: .startup, success: false, output: "", now: t0)
        m.probed(containerID: "x1", kind: .startup, success: false, output: "", now: t0)
        let actions = m.step(now: t0)
        #expect(actions.contains(.event(.init(container: "c", isInit: false, type: "Normal", reason: "Killing",
                                              message: "Container c failed startup probe, will be restarted"))))
        #expect(actions.contains(.stop(containerID: "x1", force: false)))
        m.exited(containerID: "x1", exitCode: 143, at: t0)
        #expect(m.step(now: t0) == [])
        #expect(m.phase == .failed, "restartPolicy Never: not restarted")
    }

    @Test func aFailedPostStartHookIsReportedAndKills() {
        var m = running(PodMachine.ContainerProbes())
        m.postStartFailed(containerID: "x1", message: "hook failed", grace: .seconds(2), now: t0)
        #expect(m.step(now: t0) == [
            .event(.init(container: "c", isInit: false, type: "Warning", reason: "FailedPostStartHook", message: "hook failed")),
            .event(.init(container: "c", isInit: false, type: "Normal", reason: "Killing", message: "FailedPostStartHook")),
            .stop(containerID: "x1", force: false),
            .wake(at: t0.addingTimeInterval(2)),
        ])
        #expect(m.stopDeadline(containerID: "x1") == t0.addingTimeInterval(2))
    }

    @Test func aConfigErrorIsRetriedAfterTheSyncRetryWithoutGrowing() {
        var m = PodMachine(podDescription: "p_default(u1)", initContainers: [], containers: ["c"], restartPolicy: .always,
                           syncRetry: .seconds(2))
        var now = t0
        for _ in 0..<3 {
            #expect(m.step(now: now) == [.start(container: "c", restartCount: 0)])
            m.failedToStart("c", reason: "CreateContainerConfigError", message: "configmap \"x\" not found", now: now,
                            backOff: false)
            #expect(m.containers[0].state == .waiting(reason: "CreateContainerConfigError", message: "configmap \"x\" not found"))
            #expect(m.step(now: now) == [.wake(at: now.addingTimeInterval(2))])
            now = now.addingTimeInterval(2)
        }
        #expect(m.phase == .pending)
    }
}
