import Foundation
import NIOHTTP1
import SkiffAPI
import SkiffClient
import SkiffTesting
import Testing

/// `pods/log`, `pods/exec` and the checks before them, against a stand-in kubelet over TLS.
@Suite(.serialized) struct PodConnectHTTPTests {
    struct Setup {
        let server: TestAPIServer
        let client: RESTClient
        let kubelet: FakeKubelet

        func stop() async {
            try? await client.shutdown()
            await kubelet.stop()
            await server.stop()
        }
    }

    /// A server, a kubelet on node "n1" and pods: `web` (one container, on n1), `two` (two containers and an
    /// init container, on n1), `waiting` (on n1; the kubelet refuses its logs), `pending` (not scheduled).
    func start() async throws -> Setup {
        let server = try await TestAPIServer()
        let client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: server.kubeconfig.path))
        let kubelet = try await FakeKubelet(tls: try server.server.pki.makeServerTLSContext())
        _ = try await client.json(.POST, "/api/v1/nodes", body: ["metadata": ["name": "n1"]])
        _ = try await client.json(.PATCH, "/api/v1/nodes/n1/status", body: ["status": [
            "addresses": [["type": "InternalIP", "address": "127.0.0.1"]],
            "daemonEndpoints": ["kubeletEndpoint": ["Port": .int(Int64(kubelet.port))]],
        ]], contentType: "application/merge-patch+json")
        let pods: [(String, JSONValue)] = [
            ("web", ["nodeName": "n1", "containers": [["name": "c", "image": "busybox"]]]),
            ("two", ["nodeName": "n1", "initContainers": [["name": "setup", "image": "busybox"]],
                     "containers": [["name": "app", "image": "busybox"], ["name": "side", "image": "busybox"]]]),
            ("waiting", ["nodeName": "n1", "containers": [["name": "c", "image": "busybox"]]]),
            ("pending", ["containers": [["name": "c", "image": "busybox"]]]),
        ]
        for (name, spec) in pods {
            _ = try await client.json(.POST, "/api/v1/namespaces/default/pods", body: ["metadata": ["name": .string(name)], "spec": spec])
        }
        return Setup(server: server, client: client, kubelet: kubelet)
    }

    func expectError(_ code: Int, _ message: String, _ call: () async throws -> Void) async {
        do {
            try await call()
            Issue.record("expected \(code) \(message)")
        } catch let error as APIError {
            #expect(error.code == code)
            #expect(error.message == message)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func logsStreamFromTheKubeletWithTheOptionsPassedOn() async throws {
        let s = try await start()
        let text = try await s.client.text(.GET, "/api/v1/namespaces/default/pods/web/log?tailLines=2&timestamps=true&follow=true")
        #expect(text == "line one\nline two\n")
        let request = s.kubelet.requests.withLockedValue { $0.last } ?? ""
        #expect(request.hasPrefix("GET /containerLogs/default/web/c?follow=true&timestamps=true&tailLines=2 HTTP/1.1"))
        // The API server's own credentials reach the kubelet: its client certificate, never the user's token.
        #expect(!request.lowercased().contains("authorization"))
        #expect(s.kubelet.clientNames.withLockedValue { $0.last }?.contains("kube-apiserver-kubelet-client") == true)
        // Not yet scheduled: an empty log, as upstream.
        #expect(try await s.client.text(.GET, "/api/v1/namespaces/default/pods/pending/log") == "")
        await s.stop()
    }

    @Test func badLogRequestsAreRefusedWithUpstreamsStatuses() async throws {
        let s = try await start()
        let before = s.kubelet.requests.withLockedValue { $0.count }
        await expectError(400, "a container name must be specified for pod two, choose one of: [setup app side]") {
            _ = try await s.client.text(.GET, "/api/v1/namespaces/default/pods/two/log")
        }
        await expectError(400, "container nope is not valid for pod web") {
            _ = try await s.client.text(.GET, "/api/v1/namespaces/default/pods/web/log?container=nope")
        }
        await expectError(422, "PodLogOptions \"web\" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0") {
            _ = try await s.client.text(.GET, "/api/v1/namespaces/default/pods/web/log?tailLines=-1")
        }
        await expectError(404, "pods \"ghost\" not found") {
            _ = try await s.client.text(.GET, "/api/v1/namespaces/default/pods/ghost/log")
        }
        #expect(s.kubelet.requests.withLockedValue { $0.count } == before, "refused requests never reach the kubelet")
        // The kubelet's own refusal comes back as a Status with its words.
        await expectError(400, "container \"c\" in pod \"waiting\" is waiting to start: ContainerCreating") {
            _ = try await s.client.text(.GET, "/api/v1/namespaces/default/pods/waiting/log")
        }
        await s.stop()
    }

    @Test func execIsSplicedToTheKubeletAfterItsSwitchingProtocols() async throws {
        let s = try await start()
        let port = try await s.server.server.listeningPort()
        let raw = try await RawTLSClient(port: port)
        try await raw.send("""
            GET /api/v1/namespaces/default/pods/two/exec?command=sh&command=-c&command=echo%20hi&container=app&stdout=true&stdin=true HTTP/1.1\r
            Host: 127.0.0.1\r
            Authorization: Bearer \(s.server.server.adminToken)\r
            Connection: Upgrade\r
            Upgrade: websocket\r
            Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
            Sec-WebSocket-Version: 13\r
            Sec-WebSocket-Protocol: v5.channel.k8s.io\r
            \r

            """)
        #expect(try await raw.waitFor("hello-after-101"), "received: \(raw.text)")
        #expect(raw.text.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        #expect(raw.text.contains("Sec-WebSocket-Protocol: v5.channel.k8s.io"))
        // Bytes flow both ways, unchanged.
        try await raw.send("ping-from-client")
        #expect(try await raw.waitFor("ping-from-client"))
        let request = s.kubelet.requests.withLockedValue { $0.last } ?? ""
        #expect(request.hasPrefix("GET /exec/default/two/app?command=sh&command=-c&command=echo%20hi&stdin=1&stdout=1 HTTP/1.1"))
        #expect(request.contains("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="))
        #expect(!request.contains("Authorization"))
        await raw.close()

        await expectError(400, "a container name must be specified for pod two, choose one of: [app side] or one of the init containers: [setup]") {
            _ = try await s.client.text(.POST, "/api/v1/namespaces/default/pods/two/exec?command=sh&stdout=true")
        }
        await expectError(400, "pod pending does not have a host assigned") {
            _ = try await s.client.text(.POST, "/api/v1/namespaces/default/pods/pending/exec?command=sh&stdout=true")
        }
        await s.stop()
    }

    /// `ports` (PortForwardOptions) reaches the kubelet as the `port` values upstream's kubelet reads.
    @Test func portForwardPortsReachTheKubeletAsPortValues() async throws {
        let s = try await start()
        let raw = try await RawTLSClient(port: try await s.server.server.listeningPort())
        try await raw.send("""
            GET /api/v1/namespaces/default/pods/two/portforward?ports=8080&ports=9090 HTTP/1.1\r
            Host: 127.0.0.1\r
            Authorization: Bearer \(s.server.server.adminToken)\r
            Connection: Upgrade\r
            Upgrade: websocket\r
            Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
            Sec-WebSocket-Version: 13\r
            Sec-WebSocket-Protocol: v4.channel.k8s.io\r
            \r

            """)
        #expect(try await raw.waitFor("hello-after-101"), "received: \(raw.text)")
        let request = s.kubelet.requests.withLockedValue { $0.last } ?? ""
        #expect(request.hasPrefix("GET /portForward/default/two?port=8080&port=9090 HTTP/1.1"), "\(request.prefix(80))")
        await raw.close()
        await expectError(422, "PortForwardOptions \"\" is invalid: ports: Invalid value: 70000: must be between 1 and 65535, inclusive") {
            _ = try await s.client.text(.GET, "/api/v1/namespaces/default/pods/two/portforward?ports=70000")
        }
        await s.stop()
    }

    /// `pods/{name}:{port}/proxy/…` reaches the pod's address, `nodes/{name}/proxy/…` the node's kubelet, and
    /// `services/{name}/proxy/…` an endpoint of the service, with the path, query and body passed on.
    @Test func proxySubresourcesReachPodsNodesAndServices() async throws {
        let s = try await start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-proxy-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "served by the pod\n".write(to: directory.appendingPathComponent("page.txt"), atomically: true, encoding: .utf8)
        let port = ProcessRuntimeKubectlTests.freePort()
        // busybox-static is one of the packages the tests install.
        let web = try TestChild("/bin/busybox", ["httpd", "-f", "-p", "127.0.0.1:\(port)", "-h", directory.path])
        defer {
            web.signal(SIGKILL)
            _ = web.wait()
        }
        _ = try await s.client.json(.PATCH, "/api/v1/namespaces/default/pods/web/status",
                                    body: ["status": ["podIP": "127.0.0.1"]], contentType: "application/merge-patch+json")
        var served = ""
        for _ in 0..<100 {
            served = (try? await s.client.text(.GET, "/api/v1/namespaces/default/pods/web:\(port)/proxy/page.txt")) ?? ""
            if !served.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(served == "served by the pod\n")
        let missing = try await s.client.send(.GET, "/api/v1/namespaces/default/pods/web:\(port)/proxy/nothing-here")
        #expect(missing.status.code == 404, "the pod's own answer comes back")
        // A pod without an address cannot be reached.
        #expect(try await s.client.send(.GET, "/api/v1/namespaces/default/pods/pending/proxy/").status.code == 503)
        // The node's kubelet, with the API server's own credentials.
        _ = try? await s.client.send(.GET, "/api/v1/nodes/n1/proxy/healthz?verbose=1")
        let request = s.kubelet.requests.withLockedValue { $0.last } ?? ""
        #expect(request.hasPrefix("GET /healthz?verbose=1 HTTP/1.1"), "\(request.prefix(60))")
        #expect(!request.lowercased().contains("authorization"))
        // The kubernetes Service's endpoint is this API server: its public /version through the service proxy.
        let version = try await s.client.json(.GET, "/api/v1/namespaces/default/services/https:kubernetes:/proxy/version")
        #expect(version["gitVersion"]?.stringValue?.hasPrefix("v1.32") == true)
        #expect(try await s.client.send(.GET, "/api/v1/namespaces/default/services/none/proxy/").status.code == 503)
        await s.stop()
    }

    /// A kubelet that answers and closes at once: its last bytes still reach the client before the close.
    @Test func whatTheKubeletSendsBeforeClosingReachesTheClient() async throws {
        let s = try await start()
        let raw = try await RawTLSClient(port: try await s.server.server.listeningPort())
        try await raw.send("""
            GET /api/v1/namespaces/default/pods/web/exec?command=true&stdout=true HTTP/1.1\r
            Host: 127.0.0.1\r
            Authorization: Bearer \(s.server.server.adminToken)\r
            Connection: Upgrade\r
            Upgrade: websocket\r
            Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
            Sec-WebSocket-Version: 13\r
            \r

            """)
        #expect(try await raw.waitFor("bye-then-close"), "received: \(raw.text)")
        try await raw.channel.closeFuture.get()
        await s.stop()
    }

    @Test func kubectlLogsReadsThroughTheAPIServer() async throws {
        guard let binary = Kubectl.locate() else {
            if Kubectl.isRequired { Issue.record("kubectl is required in CI") }
            return
        }
        let s = try await start()
        let kubectl = Kubectl(binary: binary, kubeconfig: s.server.kubeconfig)
        let logs = try await kubectl.run("logs", "web")
        #expect(logs.succeeded, "\(logs)")
        #expect(logs.stdout == "line one\nline two\n")
        let refused = try await kubectl.run("logs", "waiting")
        #expect(!refused.succeeded)
        #expect(refused.stderr.contains("Error from server (BadRequest): container \"c\" in pod \"waiting\" is waiting to start: ContainerCreating"))
        let discovery = try await kubectl.run("api-resources", "--no-headers")
        #expect(discovery.succeeded)
        await s.stop()
    }
}

extension RESTClient {
    /// A request whose success is text (logs); a failure throws the server's Status.
    func text(_ method: HTTPMethod, _ path: String) async throws -> String {
        let response = try await send(method, path, accept: "*/*")
        guard (200..<300).contains(response.status.code) else {
            if let status = try? response.json(), let error = APIError(status: status) { throw error }
            throw APIError(code: Int(response.status.code), reason: "", message: String(decoding: response.body, as: UTF8.self))
        }
        return String(decoding: response.body, as: UTF8.self)
    }
}
