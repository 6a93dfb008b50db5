import Foundation
import Logging
import SkiffAPI
import SkiffClient
import SkiffStorage
import SkiffTesting
import Testing

/// Restart keeps everything: objects, resourceVersions, and a watch resumes from the last version seen.
@Suite struct RestartHTTPTests {
    /// Opens the store again. The first one's lock is released by `close()`, but a child process another
    /// test is spawning at that moment may briefly share the lock's file description (fork before exec).
    func reopen(_ path: String) async throws -> SQLiteStore {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let attempt = Result { () throws(StoreError) in try SQLiteStore(path: path, logger: Logger(label: "test.sqlite")) }
            switch attempt {
            case .success(let store): return store
            case .failure(let error):
                guard error.code == .unavailable, ContinuousClock.now < deadline else { throw error }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    @Test func objectsAndResourceVersionsSurviveARestartOnSQLite() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-restart-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("state.db").path

        let firstStore = try SQLiteStore(path: database, logger: Logger(label: "test.sqlite"))
        let first = try await TestAPIServer(store: firstStore, dataDirectory: directory)
        var client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: first.kubeconfig.path))
        let created = try await client.json(.POST, "/api/v1/namespaces/default/configmaps",
                                            body: ["metadata": ["name": "kept"], "data": ["a": "1"]])
        let deleted = try await client.json(.POST, "/api/v1/namespaces/default/configmaps",
                                            body: ["metadata": ["name": "gone"], "data": ["a": "1"]])
        _ = try await client.json(.DELETE, "/api/v1/namespaces/default/configmaps/gone")
        let listed = try await client.json(.GET, "/api/v1/namespaces/default/configmaps")
        try await client.shutdown()
        await first.stop()
        await firstStore.close()

        let secondStore = try await reopen(database)
        let second = try await TestAPIServer(store: secondStore, dataDirectory: directory)
        client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: second.kubeconfig.path))
        do {
            let again = try await client.json(.GET, "/api/v1/namespaces/default/configmaps/kept")
            #expect(again["metadata"]?["resourceVersion"] == created["metadata"]?["resourceVersion"])
            #expect(again["metadata"]?["uid"] == created["metadata"]?["uid"])
            let relisted = try await client.json(.GET, "/api/v1/namespaces/default/configmaps")
            #expect(relisted["items"] == listed["items"])
            // The revision goes on from where it was (the restart may rewrite the kubernetes Service's endpoints:
            // this server listens on another port).
            let before = Int(listed["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? .max
            #expect((Int(relisted["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0) >= before)
            // A watch from before the deletion replays it, as a client that lost its connection would see.
            let rv = deleted["metadata"]?["resourceVersion"]?.stringValue ?? "0"
            let response = try await client.send(.GET, "/api/v1/namespaces/default/configmaps",
                                                 query: [("watch", "true"), ("resourceVersion", rv), ("timeoutSeconds", "5")])
            let text = String(decoding: response.body, as: UTF8.self)
            #expect(text.contains(#""type":"DELETED""#) && text.contains(#""name":"gone""#), "\(text)")
        } catch {
            try? await client.shutdown()
            await second.stop()
            await secondStore.close()
            throw error
        }
        try await client.shutdown()
        await second.stop()
        await secondStore.close()
    }
}
