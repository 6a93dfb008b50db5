import SkiffAPI
import SkiffClient
import Testing

/// What the collector and the namespace controller rely on from the API server, checked with no
/// controller running: propagation policies become finalizers, preconditions hold, the last finalizer's
/// removal deletes, and `namespaces/<name>/finalize` exists. Gaps against upstream are `withKnownIssue`.
@Suite(.timeLimit(.minutes(3))) struct ServerDeletionSemanticsTests {
    static let namespaces = ResourcePath(group: "", version: "v1", resource: "namespaces")

    func path(_ name: String) -> String { TestCluster.configMaps.object(name, namespace: "default") }

    @Test func foregroundAndOrphanDeletesWaitWithTheirFinalizer() async throws {
        try await TestCluster.with { cluster in
            for (policy, finalizer) in [("Foreground", "foregroundDeletion"), ("Orphan", "orphan")] {
                let name = "cm-\(policy.lowercased())"
                try await cluster.createConfigMap(name)
                try await cluster.delete(path(name), propagationPolicy: policy)
                let waiting = try await cluster.configMap(name)
                #expect(waiting?["metadata"]?["deletionTimestamp"] != nil)
                #expect(waiting?["metadata"]?["finalizers"] == [.string(finalizer)])
                // Removing the finalizer (what the collector does last) deletes it.
                try await cluster.mergePatch(path(name), ["metadata": ["finalizers": nil]])
                #expect(try await cluster.configMap(name) == nil)
            }
            try await cluster.createConfigMap("cm-background")
            try await cluster.delete(path("cm-background"), propagationPolicy: "Background")
            #expect(try await cluster.configMap("cm-background") == nil)
            try await cluster.createConfigMap("cm-default")
            try await cluster.delete(path("cm-default"))
            #expect(try await cluster.configMap("cm-default") == nil)
        }
    }

    @Test func deletePreconditionsRefuseAnotherObject() async throws {
        try await TestCluster.with { cluster in
            let created = try await cluster.createConfigMap("guarded")
            let wrongUID: JSONValue = ["kind": "DeleteOptions", "apiVersion": "v1",
                                       "preconditions": ["uid": "00000000-0000-0000-0000-000000000000"]]
            await #expect(throws: APIError.self) { _ = try await cluster.client.json(.DELETE, path("guarded"), body: wrongUID) }
            let staleVersion: JSONValue = ["preconditions": ["uid": created["metadata"]?["uid"] ?? nil, "resourceVersion": "1"]]
            do {
                _ = try await cluster.client.json(.DELETE, path("guarded"), body: staleVersion)
                Issue.record("a stale resourceVersion precondition was accepted")
            } catch let error as APIError {
                #expect(error.isConflict)
            }
            #expect(try await cluster.configMap("guarded") != nil)
            let right: JSONValue = ["preconditions": ["uid": created["metadata"]?["uid"] ?? nil,
                                                      "resourceVersion": created["metadata"]?["resourceVersion"] ?? nil],
                                    "propagationPolicy": "Background"]
            _ = try await cluster.client.json(.DELETE, path("guarded"), body: right)
            #expect(try await cluster.configMap("guarded") == nil)
        }
    }

    @Test func theFinalizeSubresourceReleasesATerminatingNamespace() async throws {
        try await TestCluster.with { cluster in
            _ = try await cluster.client.json(.POST, Self.namespaces.collection,
                                              body: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "ns1"]])
            try await cluster.delete(Self.namespaces.object("ns1"))
            guard var namespace = try await cluster.get(Self.namespaces.object("ns1")) else {
                Issue.record("the namespace went at once despite its finalizer")
                return
            }
            #expect(namespace["status"]?["phase"] == "Terminating")
            #expect(namespace["spec"]?["finalizers"] == ["kubernetes"])
            // No new content in a terminating namespace.
            await #expect(throws: APIError.self) { try await cluster.createConfigMap("late", namespace: "ns1") }
            namespace.setValue([], at: ["spec", "finalizers"])
            _ = try await cluster.client.json(.PUT, Self.namespaces.object("ns1") + "/finalize", body: namespace)
            #expect(try await cluster.get(Self.namespaces.object("ns1")) == nil)
        }
    }

    /// A new propagation policy replaces the garbage collector's finalizer on an object already waiting on
    /// finalizers, as upstream's `deletionFinalizersForGarbageCollection` does; a delete naming no policy
    /// leaves it alone.
    @Test func aSecondDeleteChangesThePropagationFinalizer() async throws {
        try await TestCluster.with { cluster in
            try await cluster.createConfigMap("switch", finalizers: ["test.skiff.dev/hold"])
            try await cluster.delete(path("switch"), propagationPolicy: "Foreground")
            #expect(try await cluster.configMap("switch")?["metadata"]?["finalizers"] == ["test.skiff.dev/hold", "foregroundDeletion"])
            try await cluster.delete(path("switch"), propagationPolicy: "Orphan")
            #expect(try await cluster.configMap("switch")?["metadata"]?["finalizers"] == ["test.skiff.dev/hold", "orphan"])
            try await cluster.delete(path("switch"))
            #expect(try await cluster.configMap("switch")?["metadata"]?["finalizers"] == ["test.skiff.dev/hold", "orphan"])
            try await cluster.delete(path("switch"), propagationPolicy: "Background")
            #expect(try await cluster.configMap("switch")?["metadata"]?["finalizers"] == ["test.skiff.dev/hold"])
        }
    }

    /// A namespace delete honours `propagationPolicy` (orphan or foregroundDeletion in metadata.finalizers),
    /// as upstream's namespace registry does.
    @Test func aNamespaceDeleteHonoursThePropagationPolicy() async throws {
        try await TestCluster.with { cluster in
            _ = try await cluster.client.json(.POST, Self.namespaces.collection,
                                              body: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "ns2"]])
            try await cluster.delete(Self.namespaces.object("ns2"), propagationPolicy: "Orphan")
            let namespace = try await cluster.get(Self.namespaces.object("ns2"))
            #expect(namespace?["metadata"]?["finalizers"] == ["orphan"])
            #expect(namespace?["status"]?["phase"] == "Terminating")
        }
    }
}
