import Foundation
import SkiffAPI
import Testing

@testable import SkiffKubelet

/// The pod state machine driven without processes: events in, actions out.
@Suite struct PodMachineTests {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    func machine(inits: [String] = [], _ containers: [String] = ["c"], policy: PodMachine.RestartPolicy = .always) -> PodMachine {
        PodMachine(podDescription: "p_default(u1)", initContainers: inits, containers: containers, restartPolicy: policy)
    }

    @Test func initContainersRunInOrderBeforeTheContainers() {
        var m = machine(inits: ["i1", "i2"], ["a", "b"])
        #expect(m.step(now: t0) == [.start(container: "i1", restartCount: 0)])
        #expect(m.step(now: t0) == [], "no second start while one is pending")
        m.started("i1", containerID: "x1", at: t0, image: "busybox", imageID: "id")
        #expect(m.phase == .pending)
        m.exited(containerID: "x1", exitCode: 0, at: t0)
        #expect(m.step(now: t0) == [.start(container: "i2", restartCount: 0)])
        m.started("i2", containerID: "x2", at: t0, image: "busybox", imageID: "id")
        m.exited(containerID: "x2", exitCode: 0, at: t0)
        #expect(m.step(now: t0) == [.start(container: "a", restartCount: 0), .start(container: "b", restartCount: 0)])
        m.started("a", containerID: "xa", at: t0, image: "busybox", imageID: "id")
        #expect(m.phase == .pending, "b is still waiting")
        m.started("b", containerID: "xb", at: t0, image: "busybox", imageID: "id")
        #expect(m.phase == .running)
    }

    @Test func restartPolicyNeverEndsSucceededOrFailed() {
        var ok = machine(policy: .never)
        _ = ok.step(now: t0)
        ok.started("c", containerID: "x", at: t0, image: "i", imageID: "id")
        ok.exited(containerID: "x", exitCode: 0, at: t0)
        #expect(ok.step(now: t0) == [])
        #expect(ok.phase == .succeeded)

        var bad = machine(policy: .never)
        _ = bad.step(now: t0)
        bad.started("c", containerID: "x", at: t0, image: "i", imageID: "id")
        bad.exited(containerID: "x", exitCode: 3, at: t0)
        #expect(bad.step(now: t0) == [])
        #expect(bad.phase == .failed)
        let status = bad.status(now: t0, hostIP: "10.0.0.1", startTime: t0, previous: nil)
        let terminated = status.containerStatuses?.first?.state?.terminated
        #expect(terminated?.exitCode == 3)
        #expect(terminated?.reason == "Error")
    }

    @Test func aFailedInitContainerFailsTheNeverPodAndIsRetriedOtherwise() {
        var never = machine(inits: ["i"], policy: .never)
        _ = never.step(now: t0)
        never.started("i", containerID: "x", at: t0, image: "i", imageID: "id")
        never.exited(containerID: "x", exitCode: 1, at: t0)
        #expect(never.step(now: t0) == [])
        #expect(never.phase == .failed)

        var always = machine(inits: ["i"])
        _ = always.step(now: t0)
        always.started("i", containerID: "x", at: t0, image: "i", imageID: "id")
        always.exited(containerID: "x", exitCode: 1, at: t0)
        #expect(always.step(now: t0) == [.start(container: "i", restartCount: 1)])
        #expect(always.phase == .pending)
    }

    @Test func crashingContainersBackOffExponentiallyUpToFiveMinutes() {
        var m = machine()
        var now = t0
        _ = m.step(now: now)
        var delays: [Double] = []
        for run in 0..<8 {
            m.started("c", containerID: "x\(run)", at: now, image: "i", imageID: "id")
            m.exited(containerID: "x\(run)", exitCode: 1, at: now)
            let actions = m.step(now: now)
            if case .start = actions.first {
                delays.append(0)
                continue
            }
            guard actions.count == 2, case .wake(let at) = actions[1] else {
                Issue.record("expected an event and a wake, got \(actions)")
                return
            }
            #expect(actions[0] == .event(.init(container: "c", isInit: false, type: "Warning", reason: "BackOff",
                                               message: "Back-off restarting failed container c in pod p_default(u1)")))
            #expect(m.containers[0].state == .waiting(
                reason: "CrashLoopBackOff",
                message: "back-off \(PodMachine.format(.seconds(Int(at.timeIntervalSince(now))))) restarting failed container=c pod=p_default(u1)"))
            #expect(m.phase == .running, "restartPolicy Always: Running while restarting")
            delays.append(at.timeIntervalSince(now))
            now = at
            #expect(m.step(now: now) == [.start(container: "c", restartCount: run + 1)])
        }
        #expect(delays == [0, 10, 20, 40, 80, 160, 300, 300])
        #expect(m.containers[0].restartCount == 7)
        let status = m.status(now: now, hostIP: "h", startTime: t0, previous: nil)
        #expect(status.containerStatuses?.first?.lastState?.terminated?.exitCode == 1)
    }

    @Test func onFailureDoesNotRestartASuccess() {
        var m = machine(policy: .onFailure)
        _ = m.step(now: t0)
        m.started("c", containerID: "x", at: t0, image: "i", imageID: "id")
        m.exited(containerID: "x", exitCode: 0, at: t0)
        #expect(m.step(now: t0) == [])
        #expect(m.phase == .succeeded)
    }

    @Test func aFailedStartWaitsWithItsReasonAndIsRetriedAfterTheBackOff() {
        var m = machine()
        _ = m.step(now: t0)
        m.failedToStart("c", reason: "ErrImageNeverPull", message: "not present", now: t0)
        #expect(m.containers[0].state == .waiting(reason: "ErrImageNeverPull", message: "not present"))
        #expect(m.step(now: t0) == [.wake(at: t0.addingTimeInterval(10))])
        #expect(m.step(now: t0.addingTimeInterval(10)) == [.start(container: "c", restartCount: 0)])
        #expect(m.phase == .pending)
    }

    @Test func aFailingPullShowsErrImagePullThenImagePullBackOffUntilEachRetry() {
        var m = machine()
        _ = m.step(now: t0)
        let pullMessage = "Failed to pull image \"x:1\": no registry"
        m.failedToStart("c", reason: "ErrImagePull", message: pullMessage, now: t0, image: "x:1")
        #expect(m.containers[0].state == .waiting(reason: "ErrImagePull", message: pullMessage))
        // Half the back-off shows ErrImagePull, the rest ImagePullBackOff.
        #expect(m.step(now: t0) == [.wake(at: t0.addingTimeInterval(5)), .wake(at: t0.addingTimeInterval(10))])
        let backOff = "Back-off pulling image \"x:1\""
        #expect(m.step(now: t0.addingTimeInterval(5)) == [
            .event(.init(container: "c", isInit: false, type: "Normal", reason: "BackOff", message: backOff)),
            .event(.init(container: "c", isInit: false, type: "Warning", reason: "Failed", message: "Error: ImagePullBackOff")),
            .wake(at: t0.addingTimeInterval(10)),
        ])
        #expect(m.containers[0].state == .waiting(reason: "ImagePullBackOff", message: backOff))
        #expect(m.status(now: t0, hostIP: "h", startTime: t0, previous: nil).containerStatuses?.first?.state?.waiting
            == core.v1.ContainerStateWaiting(message: backOff, reason: "ImagePullBackOff"))
        #expect(m.step(now: t0.addingTimeInterval(6)) == [.wake(at: t0.addingTimeInterval(10))], "entered once")
        // The retry fails again: ErrImagePull, for half of the doubled back-off.
        let retry = t0.addingTimeInterval(10)
        #expect(m.step(now: retry) == [.start(container: "c", restartCount: 0)])
        m.failedToStart("c", reason: "ErrImagePull", message: pullMessage, now: retry, image: "x:1")
        #expect(m.containers[0].state == .waiting(reason: "ErrImagePull", message: pullMessage))
        #expect(m.step(now: retry) == [.wake(at: retry.addingTimeInterval(10)), .wake(at: retry.addingTimeInterval(20))])
        _ = m.step(now: retry.addingTimeInterval(10))
        #expect(m.containers[0].state == .waiting(reason: "ImagePullBackOff", message: backOff))
        // A never-pull image has no back-off reason of its own: ErrImageNeverPull stays.
        var never = machine()
        _ = never.step(now: t0)
        never.failedToStart("c", reason: "ErrImageNeverPull", message: "not present", now: t0, image: "x:1")
        #expect(never.step(now: t0.addingTimeInterval(6)) == [.wake(at: t0.addingTimeInterval(10))])
        #expect(never.containers[0].state == .waiting(reason: "ErrImageNeverPull", message: "not present"))
    }

    @Test func terminationSignalsThenKillsAtTheDeadlineThenDeletes() {
        var m = machine(["a", "b"])
        _ = m.step(now: t0)
        m.started("a", containerID: "xa", at: t0, image: "i", imageID: "id")
        m.started("b", containerID: "xb", at: t0, image: "i", imageID: "id")
        m.terminate(grace: .seconds(30), now: t0)
        let killing = { (name: String) in
            PodMachine.Action.event(.init(container: name, isInit: false, type: "Normal", reason: "Killing",
                                          message: "Stopping container \(name)"))
        }
        #expect(m.step(now: t0) == [killing("a"), .stop(containerID: "xa", force: false),
                                    killing("b"), .stop(containerID: "xb", force: false),
                                    .wake(at: t0.addingTimeInterval(30))])
        m.exited(containerID: "xa", exitCode: 143, at: t0)
        #expect(m.step(now: t0) == [.wake(at: t0.addingTimeInterval(30))])
        #expect(m.step(now: t0.addingTimeInterval(30)) == [.stop(containerID: "xb", force: true)])
        m.exited(containerID: "xb", exitCode: 137, at: t0.addingTimeInterval(30))
        #expect(m.step(now: t0.addingTimeInterval(30)) == [.deletePod])
        #expect(m.step(now: t0.addingTimeInterval(31)) == [])
    }

    @Test func statusReportsConditionsAndKeepsTransitionTimes() {
        var m = machine(inits: ["i"])
        _ = m.step(now: t0)
        let pending = m.status(now: t0, hostIP: "10.1.2.3", startTime: t0, previous: nil)
        #expect(pending.phase == "Pending")
        let initialized = pending.conditions?.first { $0.type == "Initialized" }
        #expect(initialized?.status == "False")
        #expect(initialized?.reason == "ContainersNotInitialized")
        #expect(pending.containerStatuses?.first?.state?.waiting?.reason == "PodInitializing")
        m.started("i", containerID: "x", at: t0, image: "busybox", imageID: "id")
        m.exited(containerID: "x", exitCode: 0, at: t0)
        _ = m.step(now: t0)
        m.started("c", containerID: "y", at: t0, image: "busybox", imageID: "id")
        let later = t0.addingTimeInterval(5)
        let running = m.status(now: later, hostIP: "10.1.2.3", startTime: t0, previous: pending)
        #expect(running.phase == "Running")
        #expect(running.podIP == "10.1.2.3")
        let scheduled = running.conditions?.first { $0.type == "PodScheduled" }
        #expect(scheduled?.lastTransitionTime == meta.v1.Time(t0), "unchanged: time kept")
        let ready = running.conditions?.first { $0.type == "Ready" }
        #expect(ready?.status == "True")
        #expect(ready?.lastTransitionTime == meta.v1.Time(later))
        let c = running.containerStatuses?.first
        #expect(c?.ready == true)
        #expect(c?.started == true)
        #expect(c?.containerID == "y")
        #expect(running.initContainerStatuses?.first?.state?.terminated?.reason == "Completed")
    }
}
