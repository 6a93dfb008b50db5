import Foundation
import SkiffAPI
import SkiffClient
import SkiffTesting
import Testing

/// The API server over real HTTPS, as any client sees it: status codes, reasons and messages.
@Suite struct APIServerHTTPTests {
    func withServer(_ body: (RESTClient, TestAPIServer) async throws -> Void) async throws {
        try await TestAPIServer.withClient(body)
    }

    func configMap(_ name: String, namespace: String = "default", data: JSONValue = ["a": "1"]) -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": .string(namespace)], "data": data]
    }

    @Test func createGetListDelete() async throws {
        try await withServer { client, _ in
            let created = try await client.json(.POST, "/api/v1/namespaces/default/configmaps", body: configMap("c1"))
            #expect(created["metadata"]?["uid"]?.stringValue?.count == 36)
            #expect(created["metadata"]?["resourceVersion"]?.stringValue != nil)
            #expect(created["metadata"]?["creationTimestamp"]?.stringValue?.hasSuffix("Z") == true)
            let fetched = try await client.json(.GET, "/api/v1/namespaces/default/configmaps/c1")
            #expect(fetched["data"] == ["a": "1"])
            let list = try await client.json(.GET, "/api/v1/namespaces/default/configmaps")
            #expect(list["kind"] == "ConfigMapList")
            #expect(list["items"]?.arrayValue?.count == 1)
            _ = try await client.json(.DELETE, "/api/v1/namespaces/default/configmaps/c1")
            await #expect(throws: APIError.self) { _ = try await client.json(.GET, "/api/v1/namespaces/default/configmaps/c1") }
        }
    }

    @Test func errorsCarryUpstreamStatuses() async throws {
        try await withServer { client, _ in
            _ = try await client.json(.POST, "/api/v1/namespaces/default/configmaps", body: configMap("dup"))
            do {
                _ = try await client.json(.POST, "/api/v1/namespaces/default/configmaps", body: configMap("dup"))
                Issue.record("duplicate create succeeded")
            } catch let error as APIError {
                #expect(error.code == 409)
                #expect(error.reason == "AlreadyExists")
                #expect(error.message == "configmaps \"dup\" already exists")
            }
            do {
                _ = try await client.json(.GET, "/api/v1/namespaces/default/configmaps/missing")
            } catch let error as APIError {
                #expect(error.code == 404)
                #expect(error.message == "configmaps \"missing\" not found")
            }
            do {
                _ = try await client.json(.POST, "/api/v1/namespaces/no-such/configmaps", body: configMap("x", namespace: "no-such"))
                Issue.record("create in a missing namespace succeeded")
            } catch let error as APIError {
                #expect(error.code == 404)
                #expect(error.message == "namespaces \"no-such\" not found")
            }
            let bad = try await client.send(.POST, "/api/v1/namespaces/default/configmaps", body: Array("{bogus".utf8))
            #expect(bad.status.code == 400)
            #expect(try bad.json()["message"]?.stringValue?.contains("invalid character 'b'") == true)
            let strict = try await client.send(.POST, "/api/v1/namespaces/default/configmaps", query: [("fieldValidation", "Strict")],
                                               body: Array(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"u"},"bogus":1}"#.utf8))
            #expect(strict.status.code == 400)
            #expect(try strict.json()["message"]?.stringValue == "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"bogus\"")
            let huge = try await client.send(.POST, "/api/v1/namespaces/default/configmaps",
                                             body: configMap("big", data: ["a": .string(String(repeating: "x", count: 3 * 1024 * 1024 + 10))]).serialized())
            #expect(huge.status.code == 413)
            // Nothing half-made by any of these.
            let list = try await client.json(.GET, "/api/v1/namespaces/default/configmaps")
            #expect(list["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } == ["dup"])
        }
    }

    @Test func staleUpdatesConflict() async throws {
        try await withServer { client, _ in
            let created = try await client.json(.POST, "/api/v1/namespaces/default/configmaps", body: configMap("cas"))
            var first = created
            first["data"] = ["a": "2"]
            _ = try await client.json(.PUT, "/api/v1/namespaces/default/configmaps/cas", body: first)
            var stale = created
            stale["data"] = ["a": "3"]
            do {
                _ = try await client.json(.PUT, "/api/v1/namespaces/default/configmaps/cas", body: stale)
                Issue.record("stale update succeeded")
            } catch let error as APIError {
                #expect(error.code == 409)
                #expect(error.message.contains("the object has been modified"))
            }
        }
    }

    @Test func concurrentWritersExactlyOneWinsPerRevision() async throws {
        try await withServer { client, _ in
            let created = try await client.json(.POST, "/api/v1/namespaces/default/configmaps", body: configMap("race"))
            let results = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<16 {
                    var update = created
                    update["data"] = ["writer": .string(String(i))]
                    group.addTask { (try? await client.json(.PUT, "/api/v1/namespaces/default/configmaps/race", body: update)) != nil }
                }
                var wins = 0
                for await won in group where won { wins += 1 }
                return wins
            }
            #expect(results == 1)
        }
    }

    @Test func unauthenticatedRequestsAreRefused() async throws {
        try await withServer { client, server in
            var anonymous = client.config
            anonymous.bearerToken = nil
            let other = try RESTClient(config: anonymous)
            let denied = try await other.send(.GET, "/api/v1/namespaces")
            #expect(denied.status.code == 401)
            let ready = try await other.send(.GET, "/readyz")
            #expect(ready.status.code == 200)
            var wrong = client.config
            wrong.bearerToken = "not-a-token"
            let third = try RESTClient(config: wrong)
            #expect(try await third.send(.GET, "/api/v1/namespaces").status.code == 401)
            // A client certificate signed by the cluster CA authenticates too.
            let (cert, key) = try server.server.pki.issueClientCertificate(user: "alice", groups: ["system:masters"])
            var byCert = anonymous
            byCert.clientCertificatePEM = cert
            byCert.clientKeyPEM = key
            let fourth = try RESTClient(config: byCert)
            #expect(try await fourth.send(.GET, "/api/v1/namespaces").status.code == 200)
            try await other.shutdown()
            try await third.shutdown()
            try await fourth.shutdown()
        }
    }

    @Test func theUnixSocketServesTheSameAPIToItsOwnerWithAToken() async throws {
        try await withServer { client, server in
            let socket = server.dataDirectory.appendingPathComponent("apiserver.sock").path
            let url = try #require(await server.server.localURL())
            #expect(url.hasPrefix("http+unix://%2F"))
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int)
            #expect(mode == 0o600)
            var local = client.config
            local.server = url
            let byToken = try RESTClient(config: local)
            _ = try await client.json(.POST, "/api/v1/namespaces", body: ["metadata": ["name": "over-https"]])
            // The same store and watch cache: what one listener wrote, the other reads.
            let namespace = try await byToken.json(.GET, "/api/v1/namespaces/over-https")
            #expect(namespace["metadata"]?["name"] == "over-https")
            var events = byToken.watch("/api/v1/namespaces", query: [("resourceVersion", namespace["metadata"]?["resourceVersion"]?.stringValue ?? "0")]).makeAsyncIterator()
            _ = try await byToken.json(.POST, "/api/v1/namespaces", body: ["metadata": ["name": "over-the-socket"]])
            let event = try await events.next()
            #expect(event?.object["metadata"]?["name"] == "over-the-socket")
            local.bearerToken = nil
            let anonymous = try RESTClient(config: local)
            #expect(try await anonymous.send(.GET, "/api/v1/namespaces").status.code == 401)
            try await byToken.shutdown()
            try await anonymous.shutdown()
        }
    }

    @Test func aSocketPathThatCannotBeBoundLeavesHTTPSServing() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-socket-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Something that is not a socket where the socket goes: the bind fails, and nothing else does.
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("apiserver.sock/taken"),
                                                withIntermediateDirectories: true)
        let server = try await TestAPIServer(dataDirectory: directory)
        #expect(await server.server.localURL() == nil)
        let client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: server.kubeconfig.path))
        #expect(try await client.send(.GET, "/api/v1/namespaces").status.code == 200)
        try await client.shutdown()
        await server.stop()
    }

    @Test func watchDeliversChangesFromAResourceVersion() async throws {
        try await withServer { client, _ in
            let list = try await client.json(.GET, "/api/v1/namespaces/default/configmaps")
            let rv = list["metadata"]?["resourceVersion"]?.stringValue ?? "0"
            let events = client.watch("/api/v1/namespaces/default/configmaps", query: [("resourceVersion", rv)])
            let collector = Task { () -> [String] in
                var seen: [String] = []
                for try await event in events {
                    seen.append("\(event.type) \(event.object["metadata"]?["name"]?.stringValue ?? "")")
                    if seen.count == 3 { break }
                }
                return seen
            }
            var created = try await client.json(.POST, "/api/v1/namespaces/default/configmaps", body: configMap("w"))
            created["data"] = ["a": "9"]
            _ = try await client.json(.PUT, "/api/v1/namespaces/default/configmaps/w", body: created)
            _ = try await client.json(.DELETE, "/api/v1/namespaces/default/configmaps/w")
            #expect(try await collector.value == ["ADDED w", "MODIFIED w", "DELETED w"])
        }
    }
}
