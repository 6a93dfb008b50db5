import Foundation
import SkiffTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `kubectl logs`, `exec`, `attach` and `port-forward` through `skiff server --runtime process`: the API server
/// proxies to the kubelet's API, which speaks kubectl's WebSocket (1.30 and later) and SPDY (1.27–1.29) streams.
@Suite(.serialized) struct KubectlStreamingTests {
    static let versions = "/usr/lib/google-cloud-sdk/bin"

    struct Cluster {
        let server: SkiffProcess
        let data: URL
        let kubectl: Kubectl

        func kubectl(version: String) -> Kubectl? {
            let path = "\(KubectlStreamingTests.versions)/kubectl.\(version)"
            guard FileManager.default.isExecutableFile(atPath: path) else { return nil }
            return Kubectl(binary: path, kubeconfig: data.appendingPathComponent("kubeconfig.yaml"))
        }
    }

    static func start() async throws -> Cluster? {
        guard let binary = Kubectl.locate() else {
            #expect(!Kubectl.isRequired, "kubectl is required in CI")
            return nil
        }
        let data = try ProcessKubeletTests.dataDirectoryWithBusybox()
        let server = try SkiffProcess(["server", "--data-dir", data.path, "--port", String(ProcessRuntimeKubectlTests.freePort()),
                                       "--runtime", "process", "--node-name", "local",
                                       "--kubelet-port", String(ProcessRuntimeKubectlTests.freePort())])
        let kubectl = Kubectl(binary: binary, kubeconfig: data.appendingPathComponent("kubeconfig.yaml"))
        let ready = await waitUntil(timeout: .seconds(60)) {
            try await kubectl.run("get", "nodes", "--no-headers").stdout.contains(" Ready")
        }
        #expect(ready, "server log: \(server.log)")
        return Cluster(server: server, data: data, kubectl: kubectl)
    }

    func running(_ k: Kubectl, _ name: String, restarts: Bool = false) async -> Bool {
        await waitUntil(timeout: .seconds(30)) {
            let pods = try await k.run("get", "pod", name, "--no-headers")
            return pods.stdout.contains("Running") && (!restarts || !pods.stdout.contains(" 0 "))
        }
    }

    @Test func logsAndExecWithTheCurrentAndTheOldestKubectl() async throws {
        guard let cluster = try await Self.start() else { return }
        defer { try? FileManager.default.removeItem(at: cluster.data.deletingLastPathComponent()) }
        let k = cluster.kubectl
        _ = try await k.run("run", "web", "--image=busybox", "--image-pull-policy=Never", "--",
                            "sh", "-c", "echo one; echo two; echo three; sleep 3600")
        #expect(await running(k, "web"), "server log: \(cluster.server.log)")
        try await Task.sleep(for: .milliseconds(300))

        let logs = try await k.run("logs", "web")
        #expect(logs.stdout == "one\ntwo\nthree\n", "\(logs)")
        #expect(try await k.run("logs", "web", "--tail=1").stdout == "three\n")

        var clients = [("current", k)]
        if let old = cluster.kubectl(version: "1.27") { clients.append(("1.27 (SPDY)", old)) }
        for (name, client) in clients {
            let echo = try await client.run("exec", "web", "--", "echo", "hello")
            #expect(echo.stdout == "hello\n", "\(name): \(echo)")
            let piped = try await client.run(["exec", "-i", "web", "--", "cat"], stdin: "piped\n")
            #expect(piped.stdout == "piped\n", "\(name): \(piped)")
            let failed = try await client.run("exec", "web", "--", "sh", "-c", "echo oops >&2; exit 3")
            #expect(failed.status == 3, "\(name): \(failed)")
            #expect(failed.stderr.contains("oops") && failed.stderr.contains("command terminated with exit code 3"),
                    "\(name): \(failed)")
            let missing = try await client.run("exec", "web", "--", "no-such-program")
            #expect(!missing.succeeded && missing.stderr.contains("executable file not found"), "\(name): \(missing)")
        }

        _ = try await k.run("run", "crash", "--image=busybox", "--image-pull-policy=Never", "--", "sh", "-c", "echo boom; exit 1")
        let restarted = await waitUntil(timeout: .seconds(30)) {
            try await k.run("logs", "crash", "--previous").stdout == "boom\n"
        }
        #expect(restarted, "server log: \(cluster.server.log.suffix(2000))")
        let noPrevious = try await k.run("logs", "web", "--previous")
        #expect(noPrevious.stderr.contains("previous terminated container \"web\" in pod \"web\" not found"), "\(noPrevious)")

        _ = try await k.run("run", "ticker", "--image=busybox", "--image-pull-policy=Never", "--restart=Never", "--",
                            "sh", "-c", "echo a; sleep 1; echo b; sleep 1")
        #expect(await running(k, "ticker"))
        let followed = try await k.run(["logs", "-f", "ticker"], timeout: .seconds(20))
        #expect(followed.stdout == "a\nb\n", "\(followed)")
        #expect(await cluster.server.stop() == 0)
    }

    @Test func anAgentsKubeletServesLogsAndExecWithTheClusterCA() async throws {
        guard let binary = Kubectl.locate() else { return }
        let server = try await TestAPIServer()
        defer { Task { await server.stop() } }
        let data = try ProcessKubeletTests.dataDirectoryWithBusybox()
        defer { try? FileManager.default.removeItem(at: data.deletingLastPathComponent()) }
        let port = try await server.server.listeningPort()
        let agent = try SkiffProcess([
            "agent", "--server", "https://127.0.0.1:\(port)", "--token", server.server.adminToken,
            "--certificate-authority", server.dataDirectory.appendingPathComponent("pki/ca.crt").path,
            "--node-name", "worker", "--runtime", "process", "--data-dir", data.path,
            "--kubelet-port", String(ProcessRuntimeKubectlTests.freePort()),
        ])
        let k = Kubectl(binary: binary, kubeconfig: server.kubeconfig)
        // No scheduler here: the pod names its node.
        _ = try await k.run("run", "remote", "--image=busybox", "--image-pull-policy=Never",
                            "--overrides={\"spec\":{\"nodeName\":\"worker\"}}", "--",
                            "sh", "-c", "echo from-agent; sleep 3600")
        #expect(await running(k, "remote"), "agent log: \(agent.log)")
        let logs = await waitUntil { try await k.run("logs", "remote").stdout == "from-agent\n" }
        #expect(logs, "agent log: \(agent.log.suffix(2000))")
        let node = try await k.run("get", "node", "worker", "-o", "jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}")
        #expect(node.stdout != "10250" && Int(node.stdout) != nil, "the real port: \(node)")
        #expect(try await k.run("exec", "remote", "--", "echo", "via-agent").stdout == "via-agent\n")
        _ = try await k.run(["delete", "pod", "remote", "--grace-period=1"], timeout: .seconds(30))
        #expect(await agent.stop() == 0)
    }

    @Test func portForwardOverSPDYAndTheWebSocketTunnel() async throws {
        guard let cluster = try await Self.start() else { return }
        defer { try? FileManager.default.removeItem(at: cluster.data.deletingLastPathComponent()) }
        let k = cluster.kubectl
        let port = ProcessRuntimeKubectlTests.freePort()
        _ = try await k.run("run", "served", "--image=busybox", "--image-pull-policy=Never", "--", "sh", "-c",
                            "mkdir -p www && echo pf-hello > www/index.html && exec busybox httpd -f -p 127.0.0.1:\(port) -h www")
        #expect(await running(k, "served"), "server log: \(cluster.server.log)")
        var clients = [("current", k)]
        for version in ["1.27", "1.33"] {
            if let client = cluster.kubectl(version: version) { clients.append((version, client)) }
        }
        for (name, client) in clients {
            let local = ProcessRuntimeKubectlTests.freePort()
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-pf-\(UUID().uuidString.prefix(8)).log")
            let output = open(log.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            defer { try? FileManager.default.removeItem(at: log) }
            let forward = try TestChild(client.binary, ["--kubeconfig", client.kubeconfig.path, "port-forward", "pod/served", "\(local):\(port)"],
                                        output: output)
            close(output)
            let fetched = await waitUntil(timeout: .seconds(20)) {
                let result = try await Kubectl.runProcess("/usr/bin/curl", ["-s", "--max-time", "3", "http://127.0.0.1:\(local)/"])
                return result.stdout == "pf-hello\n"
            }
            forward.signal(SIGTERM)
            _ = forward.wait()
            let printed = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            #expect(fetched, "\(name): \(printed)\nserver log: \(cluster.server.log.suffix(3000))")
        }
        #expect(await cluster.server.stop() == 0)
    }
}
