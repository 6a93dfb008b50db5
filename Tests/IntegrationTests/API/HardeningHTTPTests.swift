import Foundation
import NIOCore
import NIOHTTP1
import SkiffAPI
import SkiffAPIServer
import SkiffClient
import SkiffStorage
import SkiffTesting
import Testing

/// What outside clients and hostile input found (issue 11): wire details clients rely on, and a server
/// that stays reachable under connections and watchers that misbehave.
@Suite struct HardeningHTTPTests {
    func withServer(configure: (inout APIServer.Configuration) -> Void = { _ in },
                    _ body: (RESTClient, TestAPIServer) async throws -> Void) async throws {
        try await TestAPIServer.withClient(configure: configure, body)
    }

    @Test func booleanQueryParametersAreReadAsUpstreamReadsThem() async throws {
        try await withServer { client, _ in
            _ = try await client.json(.POST, "/api/v1/namespaces/default/configmaps", body: ["metadata": ["name": "seen"]])
            // `watch=True` is a watch: the stream ends at timeoutSeconds with the ADDED event, not a list.
            for value in ["True", "TRUE", "1", "yes"] {
                let response = try await client.send(.GET, "/api/v1/namespaces/default/configmaps",
                                                     query: [("watch", value), ("timeoutSeconds", "1")])
                let text = String(decoding: response.body, as: UTF8.self)
                #expect(text.hasPrefix("{\"type\":\"ADDED\""), "watch=\(value): \(text.prefix(80))")
            }
            for value in ["false", "False", "0"] {
                let list = try await client.json(.GET, "/api/v1/namespaces/default/configmaps?watch=\(value)")
                #expect(list["kind"] == "ConfigMapList", "watch=\(value)")
            }
        }
    }

    @Test func pathsAndMethodsNoRouteTakesGetGoRestfulsStatuses() async throws {
        try await withServer { client, server in
            let notAllowed = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"the server does not allow this method on the requested resource\",\"reason\":\"MethodNotAllowed\",\"details\":{},\"code\":405}\n"
            let notFound = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"the server could not find the requested resource\",\"reason\":\"NotFound\",\"details\":{},\"code\":404}\n"
            _ = try await client.json(.POST, "/api/v1/namespaces/default/configmaps", body: ["metadata": ["name": "seed"]])
            let cases: [(HTTPMethod, String, String)] = [
                (.OPTIONS, "/api/v1/namespaces/default/configmaps", notAllowed),
                (.RAW(value: "PROPFIND"), "/api/v1/namespaces/default/configmaps", notAllowed),
                (.POST, "/api/v1/namespaces/default/configmaps/seed", notAllowed),
                (.POST, "/api/v1/configmaps", notAllowed),
                (.DELETE, "/api/v1/configmaps", notAllowed),
                (.PUT, "/api/v1/namespaces/default/configmaps", notAllowed),
                (.POST, "/api/v1/namespaces/default/namespaces", notFound),
                (.POST, "/api/v1/namespaces/default/nodes", notFound),
                (.GET, "/api/v1/configmaps/seed", notFound),
            ]
            for (method, path, expected) in cases {
                let response = try await client.send(method, path, body: Array("{\"metadata\":{\"name\":\"sneaky\"}}".utf8))
                #expect(String(decoding: response.body, as: UTF8.self) == expected, "\(method) \(path)")
            }
            // Nothing was created by the refused requests.
            #expect(try await client.send(.GET, "/api/v1/namespaces/sneaky").status.code == 404)
            #expect(try await client.send(.GET, "/api/v1/nodes/sneaky").status.code == 404)
            // CONNECT gets a complete answer (a length and a body), so the client is not left waiting.
            let raw = try await RawTLSClient(port: try await server.server.listeningPort())
            try await raw.send("CONNECT /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\n" +
                               "Authorization: Bearer \(server.server.adminToken)\r\n\r\n")
            #expect(try await raw.waitFor("\"code\":405}"), "\(raw.text)")
            #expect(raw.text.hasPrefix("HTTP/1.1 405"))
            #expect(raw.text.contains("content-length: ") || raw.text.contains("Content-Length: "))
            await raw.close()
        }
    }

    @Test func listOptionsUpstreamRefusesAreRefusedWithItsWords() async throws {
        try await withServer { client, _ in
            func expect(_ query: [(String, String)], path: String = "/api/v1/namespaces/default/configmaps",
                        _ code: UInt, _ message: String) async throws {
                let response = try await client.send(.GET, path, query: query)
                #expect(response.status.code == code, "\(query)")
                #expect(try response.json()["message"]?.stringValue == message, "\(query)")
            }
            try await expect([("resourceVersion", "-1")], 500,
                             "resourceVersion: Invalid value: \"-1\": strconv.ParseUint: parsing \"-1\": invalid syntax")
            try await expect([("resourceVersion", "-1")], path: "/api/v1/namespaces/default", 500,
                             "resourceVersion: Invalid value: \"-1\": strconv.ParseUint: parsing \"-1\": invalid syntax")
            try await expect([("resourceVersion", "-1"), ("limit", "500")], 400,
                             "invalid resource version: resourceVersion: Invalid value: \"-1\": strconv.ParseUint: parsing \"-1\": invalid syntax")
            try await expect([("timeoutSeconds", "abc")], 400, "strconv.ParseInt: parsing \"abc\": invalid syntax")
            try await expect([("watch", "1"), ("timeoutSeconds", "abc")], 400, "strconv.ParseInt: parsing \"abc\": invalid syntax")
            try await expect([("resourceVersionMatch", "NotOlderThan")], 422,
                             "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided")
            try await expect([("sendInitialEvents", "true")], 422,
                             "ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list")
            try await expect([("resourceVersionMatch", "Newest"), ("resourceVersion", "1")], 422,
                             "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Unsupported value: \"Newest\": supported values: \"Exact\", \"NotOlderThan\", \"\"")
        }
    }

    @Test func theKubernetesServiceAndItsEndpointsPointAtThisServer() async throws {
        try await withServer { client, server in
            let port = Int64(try await server.server.listeningPort())
            let service = try await client.json(.GET, "/api/v1/namespaces/default/services/kubernetes")
            #expect(service["spec"]?["clusterIP"] == "10.96.0.1")
            #expect(service["spec"]?["ports"] == [["name": "https", "port": 443, "protocol": "TCP", "targetPort": .int(port)]])
            #expect(service["metadata"]?["labels"] == ["component": "apiserver", "provider": "kubernetes"])
            let endpoints = try await client.json(.GET, "/api/v1/namespaces/default/endpoints/kubernetes")
            #expect(endpoints["subsets"]?[0]?["addresses"]?[0]?["ip"] == "127.0.0.1")
            #expect(endpoints["subsets"]?[0]?["ports"]?[0]?["port"] == .int(port))
            let slices = try await client.json(.GET, "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
                                               query: [("labelSelector", "kubernetes.io/service-name=kubernetes")])
            #expect(slices["items"]?[0]?["endpoints"]?[0]?["addresses"] == ["127.0.0.1"])
            // The address is the Service's for good: nothing else is given it.
            let other = try await client.json(.POST, "/api/v1/namespaces/default/services",
                                              body: ["metadata": ["name": "other"], "spec": ["ports": [["port": 80]]]])
            #expect(other["spec"]?["clusterIP"] != "10.96.0.1")
        }
    }

    @Test func apiServicesAreServedWithTheLocalOnes() async throws {
        try await withServer { client, _ in
            let list = try await client.json(.GET, "/apis/apiregistration.k8s.io/v1/apiservices")
            let names = (list["items"]?.arrayValue ?? []).compactMap { $0["metadata"]?["name"]?.stringValue }
            for name in ["v1", "v1.apps", "v1.batch", "v2.autoscaling", "v1.apiregistration.k8s.io"] {
                #expect(names.contains(name), "\(name) in \(names)")
            }
            let apps = try await client.json(.GET, "/apis/apiregistration.k8s.io/v1/apiservices/v1.apps")
            #expect(apps["spec"]?["group"] == "apps")
            #expect(apps["status"]?["conditions"]?[0]?["reason"] == "Local")
            // Clients register their own.
            let created = try await client.json(.POST, "/apis/apiregistration.k8s.io/v1/apiservices", body: [
                "metadata": ["name": "v1beta1.metrics.example.com"],
                "spec": ["group": "metrics.example.com", "version": "v1beta1", "groupPriorityMinimum": 100, "versionPriority": 100,
                         "service": ["namespace": "kube-system", "name": "metrics"]],
            ])
            #expect(created["metadata"]?["uid"] != nil)
            let groups = try await client.json(.GET, "/apis")
            #expect(groups["groups"]?.arrayValue?.contains { $0["name"] == "apiregistration.k8s.io" } == true)
        }
    }

    @Test func jsonBodiesEndWithANewlineAsGosEncoderWritesThem() async throws {
        try await withServer { client, _ in
            let missing = try await client.send(.GET, "/api/v1/namespaces/default/configmaps/missing")
            #expect(missing.status.code == 404)
            #expect(missing.body.last == UInt8(ascii: "\n"))
            _ = try await client.json(.POST, "/api/v1/namespaces/default/configmaps", body: ["metadata": ["name": "c"]])
            for path in ["/api/v1/namespaces/default/configmaps/c", "/api/v1/namespaces/default/configmaps", "/api/v1", "/apis"] {
                let response = try await client.send(.GET, path)
                #expect(response.body.last == UInt8(ascii: "\n"), "\(path)")
                #expect(response.body.dropLast().last != UInt8(ascii: "\n"), "\(path): one newline")
            }
        }
    }

    @Test func secretStringDataIsMergedOverDataAndNeverStored() async throws {
        try await withServer { client, _ in
            let created = try await client.json(.POST, "/api/v1/namespaces/default/secrets", body: [
                "metadata": ["name": "s"], "data": ["k1": "djE=", "k2": ""], "stringData": ["k2": "v2", "k3": "v3"],
            ])
            #expect(created["data"] == ["k1": "djE=", "k2": "djI=", "k3": "djM="])
            #expect(created["stringData"] == nil)
            #expect(created["type"] == "Opaque")
            var updated = created
            updated["stringData"] = ["k1": "new"]
            let replaced = try await client.json(.PUT, "/api/v1/namespaces/default/secrets/s", body: updated)
            #expect(replaced["data"]?["k1"] == "bmV3")
            #expect(replaced["stringData"] == nil)
            let stored = try await client.json(.GET, "/api/v1/namespaces/default/secrets/s")
            #expect(stored["data"] == replaced["data"])
        }
    }

    @Test func secretTypesAreImmutableAndCarryTheirKeys() async throws {
        try await withServer { client, _ in
            do {
                _ = try await client.json(.POST, "/api/v1/namespaces/default/secrets", body: [
                    "metadata": ["name": "tls"], "type": "kubernetes.io/tls", "data": ["tls.crt": "YQ=="],
                ])
                Issue.record("a TLS secret without tls.key was accepted")
            } catch let error as APIError {
                #expect(error.code == 422)
                #expect(error.message == "Secret \"tls\" is invalid: data[tls.key]: Required value")
            }
            let secret = try await client.json(.POST, "/api/v1/namespaces/default/secrets", body: ["metadata": ["name": "o"]])
            var changed = secret
            changed["type"] = "kubernetes.io/basic-auth"
            changed["data"] = ["username": "YQ=="]
            do {
                _ = try await client.json(.PUT, "/api/v1/namespaces/default/secrets/o", body: changed)
                Issue.record("a Secret's type changed")
            } catch let error as APIError {
                #expect(error.code == 422)
                #expect(error.message == "Secret \"o\" is invalid: type: Invalid value: \"kubernetes.io/basic-auth\": field is immutable")
            }
            // An immutable ConfigMap refuses changes to data and binaryData, and keeps being immutable.
            let map = try await client.json(.POST, "/api/v1/namespaces/default/configmaps", body: [
                "metadata": ["name": "frozen"], "data": ["a": "1"], "immutable": true,
            ])
            var edited = map
            edited["binaryData"] = ["b": "YQ=="]
            edited["immutable"] = false
            do {
                _ = try await client.json(.PUT, "/api/v1/namespaces/default/configmaps/frozen", body: edited)
                Issue.record("an immutable ConfigMap changed")
            } catch let error as APIError {
                #expect(error.code == 422)
                #expect(error.message.contains("immutable: Forbidden: field is immutable when `immutable` is set"))
                #expect(error.message.contains("binaryData: Forbidden: field is immutable when `immutable` is set"))
            }
        }
    }

    @Test func subresourceBodiesMustNameTheirObject() async throws {
        try await withServer { client, _ in
            _ = try await client.json(.POST, "/api/v1/namespaces/default/pods", body: [
                "metadata": ["name": "p"], "spec": ["containers": [["name": "c", "image": "busybox"]]],
            ])
            do {
                _ = try await client.json(.POST, "/api/v1/namespaces/default/pods/p/binding", body: [
                    "metadata": ["name": "x"], "target": ["name": "n1"],
                ])
                Issue.record("a binding for another pod was accepted")
            } catch let error as APIError {
                #expect(error.code == 400)
                #expect(error.message == "name in URL does not match name in Binding object")
            }
            let pod = try await client.json(.GET, "/api/v1/namespaces/default/pods/p")
            #expect(pod["spec"]?["nodeName"] == nil, "nothing was bound")
            _ = try await client.json(.POST, "/apis/apps/v1/namespaces/default/deployments", body: [
                "metadata": ["name": "d"],
                "spec": ["selector": ["matchLabels": ["a": "b"]],
                         "template": ["metadata": ["labels": ["a": "b"]], "spec": ["containers": [["name": "c", "image": "i"]]]]],
            ])
            do {
                _ = try await client.json(.PUT, "/apis/apps/v1/namespaces/default/deployments/d/scale", body: [
                    "apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": ["name": "other"], "spec": ["replicas": 5],
                ])
                Issue.record("a Scale naming another object was accepted")
            } catch let error as APIError {
                #expect(error.code == 400)
                #expect(error.message == "the name of the object (other) does not match the name on the URL (d)")
            }
            let deployment = try await client.json(.GET, "/apis/apps/v1/namespaces/default/deployments/d")
            #expect(deployment["spec"]?["replicas"] == 1)
        }
    }

    @Test func theDataDirectoryAndDatabaseAreTheOwnersAlone() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-perm-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        let database = directory.appendingPathComponent("db")
        try FileManager.default.createDirectory(at: database, withIntermediateDirectories: true)
        // A database an older version left readable by everyone is narrowed when opened.
        _ = FileManager.default.createFile(atPath: database.appendingPathComponent("state.db").path, contents: nil,
                                       attributes: [.posixPermissions: 0o644])
        let store = try SQLiteStore(path: database.appendingPathComponent("state.db").path, logger: .init(label: "test"))
        let server = try await TestAPIServer(store: store, dataDirectory: directory)
        let client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: server.kubeconfig.path))
        _ = try await client.json(.POST, "/api/v1/namespaces/default/secrets", body: ["metadata": ["name": "s"], "stringData": ["k": "v"]])
        func mode(_ path: String) throws -> Int {
            try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        }
        #expect(try mode(directory.path) == 0o700)
        for file in ["state.db", "state.db-wal", "state.db-shm", "state.db.lock"] {
            let path = database.appendingPathComponent(file).path
            #expect(FileManager.default.fileExists(atPath: path), "\(file)")
            #expect(try mode(path) == 0o600, "\(file)")
        }
        try await client.shutdown()
        await server.stop()
        await store.close()
    }

    @Test func requestsOverTheInflightLimitGet429ButAdministratorsAreServed() async throws {
        try await withServer(configure: { $0.maxRequestsInflight = 1 }) { admin, server in
            let (cert, key) = try server.server.pki.issueClientCertificate(user: "alice", groups: ["dev"])
            var config = admin.config
            config.bearerToken = nil
            config.clientCertificatePEM = cert
            config.clientKeyPEM = key
            let alice = try RESTClient(config: config)
            defer { Task { try? await alice.shutdown() } }
            let current = try await admin.json(.GET, "/api/v1/namespaces")["metadata"]?["resourceVersion"]?.stringValue ?? "0"
            let future = String((Int64(current) ?? 0) + 1000)
            // A list for a revision the cache has not reached waits (3 s): it holds the only read-only slot.
            // They follow one another until a request has been refused (the machine may be slow to start one).
            let slow = Task {
                while !Task.isCancelled {
                    _ = try await alice.send(.GET, "/api/v1/namespaces", query: [("resourceVersion", future),
                                                                              ("resourceVersionMatch", "NotOlderThan")])
                }
            }
            var refused: RESTClient.Response?
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let response = try await alice.send(.GET, "/api/v1/namespaces/default")
                if response.status.code == 429 {
                    refused = response
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            let response = try #require(refused)
            #expect(response.headers.first(name: "Retry-After") == "1")
            #expect(String(decoding: response.body, as: UTF8.self) == "Too many requests, please try again later.\n")
            // system:masters is always answered, and mutating requests have their own limit.
            #expect(try await admin.send(.GET, "/api/v1/namespaces/default").status.code == 200)
            // Watches are long-running and never counted.
            let watch = try await alice.send(.GET, "/api/v1/namespaces", query: [("watch", "true"), ("timeoutSeconds", "1")])
            #expect(watch.status.code == 200)
            slow.cancel()
            _ = try? await slow.value
            let back = await waitUntil(timeout: .seconds(10)) {
                try await alice.send(.GET, "/api/v1/namespaces/default").status.code == 200
            }
            #expect(back, "the slot came back")
        }
    }

    @Test func aConnectionThatSaysNothingIsClosedAfterTheHeaderTimeout() async throws {
        try await withServer(configure: { $0.timeouts = HTTPTimeouts(header: .seconds(2), body: .seconds(3), idle: .seconds(3)) }) { client, server in
            let port = try await server.server.listeningPort()
            // No TLS handshake at all: closed.
            let silent = try RawSocket(tcpPort: port)
            #expect(silent.readUntilClosed(timeout: 15) != nil, "the silent connection was closed")
            // A handshake, then a request head that never ends: closed too. On a loaded machine the timeout can
            // close it during the handshake already (a reset), which is the point anyway.
            if let slow = try? await RawTLSClient(port: port) {
                try? await slow.send("GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n")
                let deadline = ContinuousClock.now + .seconds(15)
                while slow.channel.isActive, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
                #expect(!slow.channel.isActive, "the unfinished request's connection was closed")
            }
            // The server still answers everyone else.
            #expect(try await client.send(.GET, "/api/v1/namespaces/default").status.code == 200)
        }
    }

    @Test func aWatcherThatDoesNotReadIsEndedInsteadOfBufferingWithoutBound() async throws {
        try await withServer { client, server in
            let socket = server.dataDirectory.appendingPathComponent("apiserver.sock").path
            let raw = try RawSocket(unixPath: socket)
            raw.receiveBuffer(4096)
            try raw.write("GET /api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=600 HTTP/1.1\r\nHost: x\r\n" +
                          "Authorization: Bearer \(server.server.adminToken)\r\n\r\n")
            // 40 objects of 900 KB: far more than the watcher may hold for a client that does not read.
            let big = String(repeating: "x", count: 900 * 1024)
            for i in 0..<40 {
                _ = try await client.json(.POST, "/api/v1/namespaces/default/configmaps",
                                          body: ["metadata": ["name": .string("big-\(i)")], "data": ["v": .string(big)]])
            }
            // The server gave up on it: what was in flight arrives, then the connection ends.
            let received = try #require(raw.readUntilClosed(timeout: 20), "the stalled watch was not closed")
            #expect(received < 40 * 900 * 1024)
            // A new watch starts with all of them (more than the live-event budget): its initial events are the
            // cache's own objects and never count against it.
            let snapshot = try await client.send(.GET, "/api/v1/namespaces/default/configmaps",
                                                 query: [("watch", "1"), ("timeoutSeconds", "2")])
            let added = String(decoding: snapshot.body, as: UTF8.self).components(separatedBy: "{\"type\":\"ADDED\"").count - 1
            #expect(added == 40)
        }
    }
}

struct RawSocketError: Error {
    let message: String
}

/// A plain socket that reads only when asked (so a test can be a client that stops reading).
final class RawSocket {
    let fd: Int32

    init(tcpPort port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw RawSocketError(message: "connect: \(errno)") }
    }

    init(unixPath path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (i, byte) in path.utf8.prefix(buffer.count - 1).enumerated() { buffer[i] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { throw RawSocketError(message: "connect: \(errno)") }
    }

    deinit { close(fd) }

    /// A small receive buffer, so the server's writes stall early.
    func receiveBuffer(_ bytes: Int32) {
        var size = bytes
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    func write(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.write(fd, bytes, bytes.count) == bytes.count else { throw RawSocketError(message: "write: \(errno)") }
    }

    /// Reads until the peer closes; the bytes read, or nil when nothing closed within `timeout` seconds.
    func readUntilClosed(timeout: Int) -> Int? {
        var deadline = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &deadline, socklen_t(MemoryLayout<timeval>.size))
        let start = Date()
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date().timeIntervalSince(start) < Double(timeout) {
            let n = read(fd, &buffer, buffer.count)
            if n == 0 { return total }
            if n < 0 { return errno == ECONNRESET ? total : nil }
            total += n
        }
        return nil
    }
}
