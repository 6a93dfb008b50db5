import Logging
import SkiffAPI
import SkiffClient
import SkiffTesting
import Testing

/// The documented third-party controller, run against the real API server: it copies, follows changes,
/// and leaves unlabelled ConfigMaps alone.
@Suite struct ConfigMapCopierTests {
    @Test func theDocumentedControllerWorks() async throws {
        try await TestAPIServer.withClient { client, _ in
            let task = Task { await runConfigMapCopier(client: client, logger: Logger(label: "copier")) }
            defer { task.cancel() }
            let api = client.configMaps("default")
            _ = try await api.create(core.v1.ConfigMap(data: ["greeting": "hello"],
                                                       metadata: meta.v1.ObjectMeta(labels: ["copy": "true"], name: "app")))
            _ = try await api.create(core.v1.ConfigMap(data: ["x": "y"], metadata: meta.v1.ObjectMeta(name: "plain")))
            #expect(await waitUntil(timeout: .seconds(20)) { (try? await api.get("app-copy"))?.data == ["greeting": "hello"] })
            _ = try await api.patch("app", .merge(["data": ["greeting": "bonjour"]]))
            #expect(await waitUntil(timeout: .seconds(20)) { (try? await api.get("app-copy"))?.data == ["greeting": "bonjour"] })
            await #expect { try await api.get("plain-copy") } throws: { ($0 as? APIError)?.code == 404 }
        }
    }
}
