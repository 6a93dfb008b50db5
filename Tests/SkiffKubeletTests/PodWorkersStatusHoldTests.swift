import Foundation
import Logging
import SkiffAPI
import Synchronization
import Testing

@testable import SkiffKubelet

/// A new pod's first status waits for its first start to finish (for at most a second), against the real
/// process runtime whose starts are held at a gate.
struct PodWorkersStatusHoldTests {
    /// The process runtime, with each start waiting until the gate opens.
    final class GatedRuntime: ContainerRuntime {
        let inner: ProcessRuntime
        let gate = DispatchSemaphore(value: 0)
        init(_ inner: ProcessRuntime) { self.inner = inner }
        var version: String { inner.version }
        var exits: AsyncStream<ContainerExit> { inner.exits }
        func preparePod(_ config: PodSandboxConfig) throws -> PodSandbox { try inner.preparePod(config) }
        func start(_ launch: ContainerLaunch) throws -> ContainerHandle {
            gate.wait()
            return try inner.start(launch)
        }
        func stop(containerID: String, force: Bool) { inner.stop(containerID: containerID, force: force) }
        func exec(containerID: String, _ command: ExecCommand) throws -> any ExecProcess {
            try inner.exec(containerID: containerID, command)
        }
        func logFile(podUID: String, container: String, restartCount: Int) -> URL {
            inner.logFile(podUID: podUID, container: container, restartCount: restartCount)
        }
        func removePod(uid: String) { inner.removePod(uid: uid) }
        func cleanUpLeftovers() { inner.cleanUpLeftovers() }
        func shutdown(grace: Duration) async { await inner.shutdown(grace: grace) }
    }

    @Test func theFirstStatusWaitsForTheStartThenGoesAtOnce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-hold-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let runtime = GatedRuntime(ProcessRuntime(dataDirectory: directory))
        let notified = Mutex(0)
        let workers = PodWorkers(runtime: runtime, images: nil, hostIP: "127.0.0.1", logger: Logger(label: "test"),
                                 notify: { _ in notified.withLock { $0 += 1 } })
        let uid = UUID().uuidString.lowercased()
        let pod = core.v1.Pod(metadata: meta.v1.ObjectMeta(name: "held", namespace: "default", uid: uid),
                              spec: core.v1.PodSpec(containers: [core.v1.Container(command: ["sleep", "30"], image: "busybox",
                                                                                   name: "c")]),
                              status: core.v1.PodStatus())
        await workers.update(pod)
        // The start is under way (held at the gate): the Pending status would be stale at once.
        let held = try #require(await workers.statusHold(uid))
        #expect(held > .zero && held <= .seconds(1))
        #expect(await workers.pendingWrite(uid)?.status?.phase == "Pending")
        // A start slower than the hold shows its Pending status after all.
        #expect(await workers.statusHold(uid, now: Date().addingTimeInterval(2)) == nil)

        runtime.gate.signal()
        let started = await waitUntilTrue { await workers.pendingWrite(uid)?.status?.phase == "Running" }
        #expect(started)
        #expect(await workers.statusHold(uid) == nil)
        #expect(notified.withLock { $0 } > 0)
        await runtime.shutdown(grace: .seconds(1))
    }

    /// Waits up to 30 s: the whole suite runs in parallel on two cores (runc tests among them).
    func waitUntilTrue(_ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
