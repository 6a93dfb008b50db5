import Foundation
import SkiffAPI
import Testing

@testable import SkiffKubelet

/// Native sidecars (init containers with `restartPolicy: Always`) as upstream runs them: started in order,
/// not waited for to exit, restarted whatever the pod's policy, stopped after the containers.
@Suite struct PodMachineSidecarTests {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    func machine(policy: PodMachine.RestartPolicy = .always) -> PodMachine {
        PodMachine(podDescription: "p_default(u1)", initContainers: ["proxy", "setup"], containers: ["app"],
                   restartPolicy: policy, sidecars: ["proxy"])
    }

    /// The sidecar starts first; the next init container follows once it runs, and the app after that.
    func started(_ m: inout PodMachine) {
        #expect(m.step(now: t0) == [.start(container: "proxy", restartCount: 0)])
        m.started("proxy", containerID: "p1", at: t0, image: "i", imageID: "id")
        #expect(m.step(now: t0) == [.start(container: "setup", restartCount: 0)])
        m.started("setup", containerID: "s1", at: t0, image: "i", imageID: "id")
        m.exited(containerID: "s1", exitCode: 0, at: t0)
        #expect(m.step(now: t0) == [.start(container: "app", restartCount: 0)])
        m.started("app", containerID: "a1", at: t0, image: "i", imageID: "id")
    }

    @Test func aSidecarIsStartedInOrderAndRunsBesideTheContainers() {
        var m = machine()
        started(&m)
        #expect(m.phase == .running)
        let status = m.status(now: t0, hostIP: "10.0.0.1", startTime: t0, previous: nil)
        #expect(status.initContainerStatuses?.first?.ready == true)
        #expect(status.initContainerStatuses?.first?.state?.running != nil)
        let ready = status.conditions?.first { $0.type == "Ready" }
        #expect(ready?.status == "True")
        let initialized = status.conditions?.first { $0.type == "Initialized" }
        #expect(initialized?.status == "True")
    }

    @Test func anExitedSidecarIsRestartedWhateverThePodsPolicyAndTheAppKeepsRunning() {
        var m = machine(policy: .never)
        started(&m)
        m.exited(containerID: "p1", exitCode: 1, at: t0)
        #expect(m.step(now: t0) == [.start(container: "proxy", restartCount: 1)])
        #expect(m.phase == .running, "a sidecar's exit does not end or hold back the pod")
        let status = m.status(now: t0, hostIP: "10.0.0.1", startTime: t0, previous: nil)
        let ready = status.conditions?.first { $0.type == "Ready" }
        #expect(ready?.status == "False", "a sidecar that is not running is not ready")
    }

    @Test func whenTheAppCompletesTheSidecarIsStoppedAndThePodSucceeds() {
        var m = machine(policy: .never)
        started(&m)
        m.exited(containerID: "a1", exitCode: 0, at: t0)
        #expect(m.phase == .succeeded)
        let actions = m.step(now: t0)
        #expect(actions.contains(.stop(containerID: "p1", force: false)), "\(actions)")
        m.exited(containerID: "p1", exitCode: 143, at: t0)
        #expect(m.phase == .succeeded, "the sidecar's own exit code does not decide the phase")
        #expect(m.step(now: t0).isEmpty, "and it is not restarted")
    }

    @Test func onDeletionTheContainersStopFirstThenTheSidecar() {
        var m = machine()
        started(&m)
        m.terminate(grace: .seconds(30), now: t0)
        let first = m.step(now: t0)
        #expect(first.contains(.stop(containerID: "a1", force: false)))
        #expect(!first.contains(.stop(containerID: "p1", force: false)), "the sidecar serves the app to its end")
        m.exited(containerID: "a1", exitCode: 143, at: t0)
        let second = m.step(now: t0)
        #expect(second.contains(.stop(containerID: "p1", force: false)), "\(second)")
        m.exited(containerID: "p1", exitCode: 143, at: t0)
        #expect(m.step(now: t0).contains(.deletePod))
    }
}
