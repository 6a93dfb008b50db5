import Foundation
import Testing

@testable import SkiffKubelet

/// `GET /containerLogs` against real containers and real log files.
@Suite(.serialized) struct KubeletServerLogsTests {
    @Test func currentLogsAndTail() async throws {
        let h = try await KubeletServerHarness.start()
        defer { Task { await h.stop() } }
        try await h.runPod("web", command: ["sh", "-c", "echo one; echo two; echo three; sleep 30"])
        try await Task.sleep(for: .milliseconds(300))
        let all = try await h.curl("/containerLogs/default/web/c")
        #expect(all.code == 200)
        #expect(all.body == "one\ntwo\nthree\n")
        let tail = try await h.curl("/containerLogs/default/web/c?tailLines=1")
        #expect(tail.body == "three\n")
        let limited = try await h.curl("/containerLogs/default/web/c?limitBytes=5")
        #expect(limited.body == "one\nt")
        await h.stop()
    }

    @Test func timestampsSinceAndPartialLinesFromACRIFile() async throws {
        let h = try await KubeletServerHarness.start()
        defer { Task { await h.stop() } }
        let uid = try await h.runPod("quiet", command: ["sleep", "30"])
        // The container writes nothing: the file is ours, as a CRI runtime writes it.
        let file = h.runtime.logFile(podUID: uid, container: "c", restartCount: 0)
        try """
            2026-12-06T06:00:00.100000000Z stdout F first
            2026-12-06T06:00:01.000000000Z stderr P sec
            2026-12-06T06:00:01.500000000Z stderr F ond
            2026-12-06T06:00:02.123456789Z stdout F third

            """.write(to: file, atomically: true, encoding: .utf8)
        let plain = try await h.curl("/containerLogs/default/quiet/c")
        #expect(plain.body == "first\nsecond\nthird\n")
        let stamped = try await h.curl("/containerLogs/default/quiet/c?timestamps=true&tailLines=1")
        #expect(stamped.body == "2026-12-06T06:00:02.123456789Z third\n")
        let since = try await h.curl("/containerLogs/default/quiet/c?sinceTime=2026-12-06T06:00:01Z&timestamps=1")
        #expect(since.body == "2026-12-06T06:00:01Z sec2026-12-06T06:00:01.5Z ond\n2026-12-06T06:00:02.123456789Z third\n")
        let bad = try await h.curl("/containerLogs/default/quiet/c?tailLines=x")
        #expect(bad.code == 400)
        await h.stop()
    }

    @Test func previousRunAndItsAbsence() async throws {
        let h = try await KubeletServerHarness.start()
        defer { Task { await h.stop() } }
        try await h.runPod("crash", command: ["sh", "-c", "echo boom; exit 1"])
        try await h.waitFor({ $0.previousRun != nil }, pod: "crash")
        let previous = try await h.curl("/containerLogs/default/crash/c?previous=true")
        #expect(previous.code == 200)
        #expect(previous.body == "boom\n")
        try await h.runPod("steady", command: ["sleep", "30"])
        let none = try await h.curl("/containerLogs/default/steady/c?previous=true")
        #expect(none.code == 400)
        #expect(none.body == "previous terminated container \"c\" in pod \"steady\" not found\n")
        let missing = try await h.curl("/containerLogs/default/ghost/c")
        #expect(missing.code == 404)
        await h.stop()
    }

    @Test func followStreamsNewLinesUntilTheContainerEnds() async throws {
        let h = try await KubeletServerHarness.start()
        defer { Task { await h.stop() } }
        try await h.runPod("ticker", command: ["sh", "-c", "echo one; sleep 1; echo two; sleep 1; echo three; sleep 1"],
                           restartPolicy: "Never")
        let started = ContinuousClock.now
        let followed = try await h.curl("/containerLogs/default/ticker/c?follow=true", timeout: .seconds(20))
        let took = ContinuousClock.now - started
        #expect(followed.code == 200)
        #expect(followed.body == "one\ntwo\nthree\n")
        // It waited for the lines written later, and ended with the container rather than at a timeout.
        #expect(took > .milliseconds(1500) && took < .seconds(10), "\(took)")
        await h.stop()
    }
}
