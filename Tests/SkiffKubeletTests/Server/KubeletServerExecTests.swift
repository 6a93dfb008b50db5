import Foundation
import SkiffAPI
import Testing

@testable import SkiffKubelet

/// Exec and attach over WebSocket against real containers of the process runtime, as kubectl ≥ 1.30 does
/// them through the API server's proxy.
@Suite(.serialized) struct KubeletServerExecTests {
    func status(_ outcome: WebSocketTestClient.Outcome) throws -> JSONValue {
        try JSONValue(parsing: Array(outcome.output(3).utf8))
    }

    @Test func execWritesStdoutAndSucceeds() async throws {
        let h = try await KubeletServerHarness.start()
        defer { Task { await h.stop() } }
        try await h.runPod("web", command: ["sh", "-c", "echo hi; sleep 30"])
        let ws = try await h.webSocket("/exec/default/web/c?command=echo&command=hello&stdout=1&stderr=1")
        #expect(await ws.waitUpgraded())
        let outcome = try await ws.finish()
        #expect(outcome.protocolName == "v5.channel.k8s.io")
        // The first message is an empty one on stdout: the streams are ready.
        #expect(outcome.messages.first.map { $0.0 == 1 && $0.1.isEmpty } == true)
        #expect(outcome.output(1) == "hello\n")
        #expect(try status(outcome) == ["metadata": [:], "status": "Success"])
        await h.stop()
    }

    @Test func stdinReachesTheCommandAndV5ClosesIt() async throws {
        let h = try await KubeletServerHarness.start()
        defer { Task { await h.stop() } }
        try await h.runPod("web", command: ["sleep", "30"])
        let ws = try await h.webSocket("/exec/default/web/c?command=cat&stdin=1&stdout=1&stderr=1")
        #expect(await ws.waitUpgraded())
        try await ws.send(channel: 0, Array("piped\n".utf8))
        try await ws.send(channel: 255, [0])
        let outcome = try await ws.finish()
        #expect(outcome.output(1) == "piped\n")
        #expect(try status(outcome)["status"] == "Success")
        await h.stop()
    }

    @Test func nonZeroExitIsAStatusWithTheCode() async throws {
        let h = try await KubeletServerHarness.start()
        defer { Task { await h.stop() } }
        try await h.runPod("web", command: ["sleep", "30"])
        let ws = try await h.webSocket("/exec/default/web/c?command=sh&command=-c&command=echo+oops+%3E%262%3B+exit+3&stdout=1&stderr=1")
        #expect(await ws.waitUpgraded())
        let outcome = try await ws.finish()
        #expect(outcome.output(2) == "oops\n")
        let status = try status(outcome)
        #expect(status["status"] == "Failure")
        #expect(status["reason"] == "NonZeroExitCode")
        #expect(status["details"]?["causes"] == [["reason": "ExitCode", "message": "3"]])
        #expect(status["message"] == "command terminated with non-zero exit code: error executing command [sh -c echo oops >&2; exit 3], exit code 3")
        await h.stop()
    }

    @Test func v4ProtocolAndAMissingProgram() async throws {
        let h = try await KubeletServerHarness.start()
        defer { Task { await h.stop() } }
        try await h.runPod("web", command: ["sleep", "30"])
        let ws = try await h.webSocket("/exec/default/web/c?command=no-such-program&stdout=1", protocols: ["v4.channel.k8s.io"])
        #expect(await ws.waitUpgraded())
        let outcome = try await ws.finish()
        #expect(outcome.protocolName == "v4.channel.k8s.io")
        let status = try status(outcome)
        #expect(status["reason"] == "InternalError")
        #expect(status["message"]?.stringValue?.contains("executable file not found") == true, "\(status)")
        await h.stop()
    }

    @Test func base64ChannelsAndTheirPlainErrors() async throws {
        let h = try await KubeletServerHarness.start()
        defer { Task { await h.stop() } }
        try await h.runPod("web", command: ["sleep", "30"])
        let ok = try await h.webSocket("/exec/default/web/c?command=echo&command=hi&stdout=1", protocols: ["base64.channel.k8s.io"])
        #expect(await ok.waitUpgraded())
        let outcome = try await ok.finish()
        // Channel '1', then base64 text; before v4 a success writes nothing on the error channel.
        let stdout = outcome.messages.filter { $0.0 == 0x31 }.compactMap { Data(base64Encoded: Data($0.1)) }
        #expect(String(decoding: stdout.reduce(Data(), +), as: UTF8.self) == "hi\n")
        #expect(!outcome.messages.contains { $0.0 == 0x33 && !$0.1.isEmpty })
        let failed = try await h.webSocket("/exec/default/web/c?command=sh&command=-c&command=exit+4&stdout=1",
                                           protocols: ["channel.k8s.io"])
        #expect(await failed.waitUpgraded())
        let failure = try await failed.finish()
        #expect(failure.output(3) == "command terminated with non-zero exit code: error executing command [sh -c exit 4], exit code 4")
        await h.stop()
    }

    @Test func execIntoAContainerThatIsNotRunning() async throws {
        let h = try await KubeletServerHarness.start()
        defer { Task { await h.stop() } }
        try await h.runPod("done", command: ["true"], restartPolicy: "Never")
        try await h.waitFor({ $0.runningID == nil }, pod: "done")
        let ws = try await h.webSocket("/exec/default/done/c?command=true&stdout=1")
        #expect(await ws.waitUpgraded())
        let status = try status(try await ws.finish())
        #expect(status["message"] == "Internal error occurred: error executing command in container: container \"c\" in pod \"done\" is not running")
        let logs = try await h.curl("/containerLogs/default/done/c?follow=true", timeout: .seconds(10))
        #expect(logs.code == 200, "a finished container's log is read to its end, not followed")
        await h.stop()
    }

    @Test func unknownPodIsRefusedWith404() async throws {
        let h = try await KubeletServerHarness.start()
        defer { Task { await h.stop() } }
        let ws = try await h.webSocket("/exec/default/nope/c?command=true&stdout=1")
        #expect(await ws.waitUpgraded() == false)
        let outcome = try await ws.finish()
        #expect(outcome.refusedStatus == 404)
        #expect(outcome.refusedBody.contains("pod \"nope\" does not exist"))
        await h.stop()
    }

    @Test func requestsWithoutAClientCertificateAreRefused() async throws {
        let h = try await KubeletServerHarness.start()
        defer { Task { await h.stop() } }
        try await h.runPod("web", command: ["sleep", "30"])
        let ws = try await h.webSocket("/exec/default/web/c?command=true&stdout=1", withCertificate: false)
        #expect(await ws.waitUpgraded() == false)
        #expect(try await ws.finish().refusedStatus == 401)
        let logs = try await h.curl("/containerLogs/default/web/c", withCertificate: false)
        #expect(logs.code == 401)
        await h.stop()
    }

    @Test func attachStreamsWhatTheContainerWritesUntilItEnds() async throws {
        let h = try await KubeletServerHarness.start()
        defer { Task { await h.stop() } }
        try await h.runPod("talker", command: ["sh", "-c", "sleep 1; echo later; echo err >&2; sleep 1"], restartPolicy: "Never")
        let ws = try await h.webSocket("/attach/default/talker/c?stdout=1&stderr=1")
        #expect(await ws.waitUpgraded())
        let outcome = try await ws.finish()
        #expect(outcome.output(1).contains("later"), "\(outcome.messages)")
        #expect(try status(outcome)["status"] == "Success")
        await h.stop()
    }
}
