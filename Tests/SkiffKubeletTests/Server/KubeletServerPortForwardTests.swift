import Foundation
import Testing

@testable import SkiffKubelet

/// Port-forward over upstream's WebSocket channels (client libraries use these; kubectl's SPDY and tunnel
/// are covered with the real kubectl in the integration tests).
@Suite(.serialized) struct KubeletServerPortForwardTests {
    @Test func channelsCarryTheConnectionAndItsErrors() async throws {
        let h = try await KubeletServerHarness.start()
        defer { Task { await h.stop() } }
        // Below the ephemeral range (32768 and up), where other tests' servers and connections take ports.
        let port = UInt16.random(in: 20_000..<30_000)
        let www = h.directory.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
        try "forwarded\n".write(to: www.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        try await h.runPod("served", command: ["busybox", "httpd", "-f", "-p", "127.0.0.1:\(port)", "-h", www.path])
        try await Task.sleep(for: .milliseconds(300))

        let ws = try await h.webSocket("/portForward/default/served?port=\(port)", protocols: ["v4.channel.k8s.io"])
        #expect(await ws.waitUpgraded())
        try await ws.send(channel: 0, Array("GET / HTTP/1.0\r\n\r\n".utf8))
        let outcome = try await ws.finish()
        #expect(outcome.protocolName == "v4.channel.k8s.io")
        let portBytes = [UInt8(port & 0xff), UInt8(port >> 8)]
        #expect(outcome.messages.prefix(2).map(\.0) == [0, 1] && outcome.messages.prefix(2).allSatisfy { $0.1 == portBytes })
        let data = outcome.messages.filter { $0.0 == 0 }.flatMap(\.1).dropFirst(2)
        #expect(String(decoding: data, as: UTF8.self).hasSuffix("forwarded\n"), "\(outcome.messages)")

        // Port 1 (tcpmux) is closed here; a port next to the server's could be some other test's listener
        // (the ephemeral range starts at 32768), which once held the session open until it timed out.
        let closed = try await h.webSocket("/portForward/default/served?port=1", protocols: ["v4.channel.k8s.io"])
        #expect(await closed.waitUpgraded())
        let refused = try await closed.finish()
        let error = String(decoding: refused.messages.filter { $0.0 == 1 }.flatMap(\.1).dropFirst(2), as: UTF8.self)
        #expect(error.hasPrefix("error forwarding port 1 to pod served"), "\(error)")

        let noPort = try await h.webSocket("/portForward/default/served", protocols: ["v4.channel.k8s.io"])
        #expect(await noPort.waitUpgraded() == false)
        let answer = try await noPort.finish()
        #expect(answer.refusedStatus == 400 && answer.refusedBody == "query parameter \"port\" is required\n")
        await h.stop()
    }
}
