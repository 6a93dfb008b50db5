import SkiffAPI
import SkiffClient
import SkiffControllers
import Testing

@Suite(.timeLimit(.minutes(5))) struct NamespaceControllerTests {
    static let namespaces = ResourcePath(group: "", version: "v1", resource: "namespaces")

    func createNamespace(_ cluster: TestCluster, _ name: String) async throws {
        _ = try await cluster.client.json(.POST, Self.namespaces.collection,
                                          body: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
    }

    @Test func deletingANamespaceEmptiesItAndThenRemovesIt() async throws {
        try await TestCluster.with { cluster in
            let manager = RunningManager(client: cluster.client)
            try await createNamespace(cluster, "doomed")
            try await createNamespace(cluster, "kept")
            for index in 0..<5 { try await cluster.createConfigMap("cm-\(index)", namespace: "doomed") }
            try await cluster.createConfigMap("survivor", namespace: "kept")
            let secrets = ResourcePath(group: "", version: "v1", resource: "secrets", namespace: "doomed")
            _ = try await cluster.client.json(.POST, secrets.collection, body: [
                "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s"], "stringData": ["a": "b"]])
            let leases = ResourcePath(group: "coordination.k8s.io", version: "v1", resource: "leases", namespace: "doomed")
            _ = try await cluster.client.json(.POST, leases.collection, body: [
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": "l"], "spec": [:]])

            try await cluster.delete(Self.namespaces.object("doomed"))
            try await eventually("the namespace is gone") { try await cluster.get(Self.namespaces.object("doomed")) == nil }
            let leftConfigMaps = try await cluster.client.json(.GET, ResourcePath(group: "", version: "v1", resource: "configmaps").collection)
            let names = (leftConfigMaps["items"]?.arrayValue ?? []).map { "\($0.objectNamespace)/\($0.objectName)" }
            #expect(!names.contains { $0.hasPrefix("doomed/") })
            #expect(names.contains("kept/survivor"))
            #expect(try await cluster.get(secrets.object("s")) == nil)
            #expect(try await cluster.get(leases.object("l")) == nil)
            #expect(try await cluster.get(Self.namespaces.object("kept")) != nil)
            await manager.stop()
        }
    }

    /// Content held by a finalizer keeps the namespace, with conditions saying why, until it goes.
    @Test func remainingContentIsReportedOnTheNamespaceStatus() async throws {
        try await TestCluster.with { cluster in
            let manager = RunningManager(client: cluster.client)
            try await createNamespace(cluster, "held")
            try await cluster.createConfigMap("held-cm", namespace: "held", finalizers: ["test.skiff.dev/hold"])
            try await cluster.createConfigMap("plain", namespace: "held")
            try await cluster.delete(Self.namespaces.object("held"))
            try await eventually("the namespace reports the remaining content") {
                let conditions = try await cluster.get(Self.namespaces.object("held"))?["status"]?["conditions"]?.arrayValue ?? []
                let remaining = conditions.first { $0["type"] == "NamespaceContentRemaining" }
                let finalizers = conditions.first { $0["type"] == "NamespaceFinalizersRemaining" }
                return remaining?["status"] == "True"
                    && remaining?["message"] == "Some resources are remaining: configmaps. has 1 resource instances"
                    && finalizers?["message"] == "Some finalizers are remaining: test.skiff.dev/hold in 1 resource instances"
            }
            let namespace = try await cluster.get(Self.namespaces.object("held"))
            #expect(namespace?["status"]?["phase"] == "Terminating")
            #expect(namespace?["spec"]?["finalizers"] == ["kubernetes"])
            #expect(try await cluster.configMap("plain", namespace: "held") == nil)
            try await cluster.mergePatch(TestCluster.configMaps.object("held-cm", namespace: "held"), ["metadata": ["finalizers": nil]])
            try await eventually("the namespace is gone") { try await cluster.get(Self.namespaces.object("held")) == nil }
            await manager.stop()
        }
    }

    @Test func aNamespaceDeletedWhileTheControllerWasDownIsFinishedAfterRestart() async throws {
        try await TestCluster.with { cluster in
            try await createNamespace(cluster, "later")
            try await cluster.createConfigMap("cm", namespace: "later")
            try await cluster.delete(Self.namespaces.object("later"))
            #expect(try await cluster.get(Self.namespaces.object("later"))?["status"]?["phase"] == "Terminating")
            let manager = RunningManager(client: cluster.client)
            try await eventually("the namespace is gone") { try await cluster.get(Self.namespaces.object("later")) == nil }
            await manager.stop()
        }
    }
}
