import Foundation
import SkiffAPI
import SkiffClient
import SkiffTesting
import Testing

/// Probes and lifecycle hooks with the kubelet and the `process` runtime against the real API server. Exec
/// probes run in the pod's directory (the process runtime's working directory), so files there drive them.
@Suite(.serialized) struct KubeletProbeTests {
    typealias Harness = ProcessKubeletTests.Harness

    func podDirectory(_ h: Harness, _ pod: String) async throws -> URL {
        let uid = try await h.pod(pod)["metadata"]?["uid"]?.stringValue ?? ""
        return h.data.appendingPathComponent("pods/\(uid)")
    }

    func condition(_ h: Harness, _ pod: String, _ type: String) async throws -> JSONValue? {
        try await h.pod(pod)["status"]?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }?["status"]
    }

    @Test func aReadinessProbeFlipsReady() async throws {
        let h = try await ProcessKubeletTests().start()
        let c = ProcessKubeletTests.container("c", "sleep 3600")
            .setting("readinessProbe", ["exec": ["command": ["cat", "ready"]], "periodSeconds": 1])
        try await KubeletPodConfigTests.createPod(h, "probed", ["containers": [c]])
        #expect(await waitUntil { try await h.pod("probed")["status"]?["phase"] == "Running" })
        #expect(try await h.status("probed")?["ready"] == false)
        #expect(try await condition(h, "probed", "Ready") == "False")
        #expect(await waitUntil {
            try await KubeletPodConfigTests.messages(h, pod: "probed", reason: "Unhealthy")
                .contains { $0.hasPrefix("Readiness probe failed: cat: ") && $0.contains("ready") }
        })
        let dir = try await podDirectory(h, "probed")
        try Data("ok".utf8).write(to: dir.appendingPathComponent("ready"))
        #expect(await waitUntil { try await h.status("probed")?["ready"] == true })
        #expect(try await condition(h, "probed", "Ready") == "True")
        #expect(try await condition(h, "probed", "ContainersReady") == "True")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("ready"))
        #expect(await waitUntil { try await condition(h, "probed", "Ready") == "False" }, "failureThreshold 3 at 1 s")
        #expect(try await h.status("probed")?["restartCount"] == 0, "readiness never restarts")
        await h.stop()
    }

    @Test func aFailingLivenessProbeRestartsTheContainer() async throws {
        let h = try await ProcessKubeletTests().start()
        // Each run starts afresh: the restarted container removes the file that failed its predecessor.
        let c = ProcessKubeletTests.container("c", "rm -f die; sleep 3600")
            .setting("livenessProbe", ["exec": ["command": ["sh", "-c", "test ! -f die"]], "periodSeconds": 1, "failureThreshold": 1])
        try await KubeletPodConfigTests.createPod(h, "live", ["containers": [c]])
        #expect(await waitUntil { try await h.pod("live")["status"]?["phase"] == "Running" })
        let dir = try await podDirectory(h, "live")
        try Data().write(to: dir.appendingPathComponent("die"))
        #expect(await waitUntil { try await KubeletPodConfigTests.messages(h, pod: "live", reason: "Killing")
            .contains("Container c failed liveness probe, will be restarted") })
        #expect(await waitUntil { (try await h.status("live")?["restartCount"]?.intValue ?? 0) >= 1 })
        #expect(try await KubeletPodConfigTests.messages(h, pod: "live", reason: "Unhealthy").contains("Liveness probe failed: "))
        #expect(await waitUntil { try await h.status("live")?["state"]?["running"] != nil })
        #expect(try await h.status("live")?["lastState"]?["terminated"]?["exitCode"] == 143, "SIGTERM")
        await h.stop()
    }

    @Test func httpAndTCPProbesReachTheContainer() async throws {
        let h = try await ProcessKubeletTests().start()
        // Below the ephemeral range (32768 and up), where other tests' servers and connections take ports.
        let port = Int64.random(in: 20000..<30000)
        let c = ProcessKubeletTests.container("c", "mkdir -p www/empty www/ok && echo ok > www/healthz && echo ok > www/ok/index.html && exec busybox httpd -f -p \(port) -h www")
            .setting("ports", [["name": "web", "containerPort": .int(port)]])
            .setting("readinessProbe", ["httpGet": ["path": "/healthz", "port": "web", "httpHeaders": [["name": "X-Probe", "value": "1"]]],
                                        "periodSeconds": 1])
            .setting("livenessProbe", ["tcpSocket": ["port": .int(port)], "periodSeconds": 1])
        let missing = ProcessKubeletTests.container("c", "sleep 3600")
            // Port 1 (tcpmux) is closed here, where a neighbour of `port` could be another test's.
            .setting("readinessProbe", ["httpGet": ["path": "/", "port": 1], "periodSeconds": 1])
        // busybox httpd answers a directory without its slash with a 302 to the same host: followed, the probe
        // judges what the directory gives (404 without an index, 200 with one), as upstream's does.
        let moved = ProcessKubeletTests.container("c", "sleep 3600")
            .setting("readinessProbe", ["httpGet": ["path": "/empty", "port": .int(port)], "periodSeconds": 1])
        let movedOK = ProcessKubeletTests.container("c", "sleep 3600")
            .setting("readinessProbe", ["httpGet": ["path": "/ok", "port": .int(port)], "periodSeconds": 1])
        try await KubeletPodConfigTests.createPod(h, "web", ["containers": [c]])
        try await KubeletPodConfigTests.createPod(h, "closed", ["containers": [missing]])
        try await KubeletPodConfigTests.createPod(h, "moved", ["containers": [moved]])
        try await KubeletPodConfigTests.createPod(h, "moved-ok", ["containers": [movedOK]])
        #expect(await waitUntil { try await h.status("web")?["ready"] == true })
        #expect(await waitUntil { try await h.status("moved-ok")?["ready"] == true })
        #expect(await waitUntil {
            try await KubeletPodConfigTests.messages(h, pod: "moved", reason: "Unhealthy")
                .contains("Readiness probe failed: HTTP probe failed with statuscode: 404")
        })
        #expect(try await h.status("moved")?["ready"] == false)
        #expect(await waitUntil {
            try await KubeletPodConfigTests.messages(h, pod: "closed", reason: "Unhealthy")
                .contains { $0.hasPrefix("Readiness probe failed: Get \"http://") && $0.contains("connection refused") }
        })
        #expect(try await h.status("web")?["restartCount"] == 0)
        await h.stop()
    }

    @Test func postStartAndPreStopHooksRun() async throws {
        let h = try await ProcessKubeletTests().start()
        let c = ProcessKubeletTests.container("c", "sleep 3600").setting("lifecycle", [
            "postStart": ["exec": ["command": ["sh", "-c", "echo started > ../hooks-post"]]],
            "preStop": ["exec": ["command": ["sh", "-c", "echo stopping > ../hooks-pre"]]],
        ])
        let failing = ProcessKubeletTests.container("c", "sleep 3600").setting("lifecycle", [
            "postStart": ["exec": ["command": ["sh", "-c", "echo nope; exit 3"]]],
        ])
        try await KubeletPodConfigTests.createPod(h, "hooks", ["containers": [c]])
        try await KubeletPodConfigTests.createPod(h, "badhook", ["containers": [failing]])
        let pods = h.data.appendingPathComponent("pods")
        #expect(await waitUntil { FileManager.default.fileExists(atPath: pods.appendingPathComponent("hooks-post").path) })
        _ = try await h.client.json(.DELETE, "/api/v1/namespaces/default/pods/hooks")
        #expect(await waitUntil { FileManager.default.fileExists(atPath: pods.appendingPathComponent("hooks-pre").path) })
        let uid = try await h.pod("badhook")["metadata"]?["uid"]?.stringValue ?? ""
        #expect(await waitUntil {
            try await KubeletPodConfigTests.messages(h, pod: "badhook", reason: "FailedPostStartHook").contains(
                "Exec lifecycle hook ([sh -c echo nope; exit 3]) for Container \"c\" in Pod \"badhook_default(\(uid))\" "
                    + "failed - error: command 'sh -c echo nope; exit 3' exited with 3: , message: \"nope\\n\"")
        })
        // The recorder sends events in the background: the Killing one may follow a moment after.
        #expect(await waitUntil {
            try await KubeletPodConfigTests.messages(h, pod: "badhook", reason: "Killing").contains("FailedPostStartHook")
        })
        #expect(await waitUntil { (try await h.status("badhook")?["restartCount"]?.intValue ?? 0) >= 1 })
        await h.stop()
    }
}
