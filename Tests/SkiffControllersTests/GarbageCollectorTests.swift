import SkiffAPI
import SkiffClient
import SkiffControllers
import Testing

/// The garbage collector against a real API server: ConfigMaps owning ConfigMaps stand in for
/// ReplicaSets owning Pods (the collector is generic; the kinds do not matter to it).
@Suite(.timeLimit(.minutes(5))) struct GarbageCollectorTests {
    @Test func deletingAnOwnerCollectsItsDependentsInTheBackground() async throws {
        try await TestCluster.with { cluster in
            let manager = RunningManager(client: cluster.client)
            let owner = try await cluster.createConfigMap("owner")
            let other = try await cluster.createConfigMap("other-owner")
            try await cluster.createConfigMap("child-1", owners: [ownerReference(to: owner)])
            try await cluster.createConfigMap("child-2", owners: [ownerReference(to: owner, block: true)])
            try await cluster.createConfigMap("kept", owners: [ownerReference(to: other)])
            // Two owners, one gone: the reference to it is dropped, the object stays.
            try await cluster.createConfigMap("shared", owners: [ownerReference(to: owner),
                                                                ownerReference(to: other, controller: false)])
            try await cluster.delete(TestCluster.configMaps.object("owner", namespace: "default"))
            try await eventually("the dependents are gone") {
                let first = try await cluster.configMap("child-1")
                let second = try await cluster.configMap("child-2")
                return first == nil && second == nil
            }
            try await eventually("the shared dependent only names the live owner") {
                let refs = try await cluster.configMap("shared")?["metadata"]?["ownerReferences"]?.arrayValue ?? []
                return refs.compactMap { $0["name"]?.stringValue } == ["other-owner"]
            }
            #expect(try await cluster.configMap("kept") != nil)
            #expect(try await cluster.configMap("other-owner") != nil)
            await manager.stop()
        }
    }

    @Test func orphanDeletionKeepsDependentsWithoutTheReference() async throws {
        try await TestCluster.with { cluster in
            let manager = RunningManager(client: cluster.client)
            let owner = try await cluster.createConfigMap("owner")
            let other = try await cluster.createConfigMap("other")
            try await cluster.createConfigMap("child-1", owners: [ownerReference(to: owner, block: true)])
            try await cluster.createConfigMap("child-2", owners: [ownerReference(to: owner),
                                                                 ownerReference(to: other, controller: false)])
            try await eventually("the collector watches config maps") { await collectorSees(cluster, "child-2") }
            try await cluster.delete(TestCluster.configMaps.object("owner", namespace: "default"), propagationPolicy: "Orphan")
            try await eventually("the owner is gone") { try await cluster.configMap("owner") == nil }
            let first = try await cluster.configMap("child-1")
            #expect(first != nil)
            #expect(first?["metadata"]?["ownerReferences"] == nil)
            let second = try await cluster.configMap("child-2")
            #expect(second?["metadata"]?["ownerReferences"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["other"])
            await manager.stop()
        }
    }

    @Test func foregroundDeletionDeletesDependentsBeforeTheOwner() async throws {
        try await TestCluster.with { cluster in
            let manager = RunningManager(client: cluster.client)
            let owner = try await cluster.createConfigMap("owner")
            // A test finalizer holds the blocking dependent in "being deleted" so the order can be seen.
            try await cluster.createConfigMap("blocking", owners: [ownerReference(to: owner, block: true)],
                                              finalizers: ["test.skiff.dev/hold"])
            try await cluster.createConfigMap("free", owners: [ownerReference(to: owner, block: false)])
            try await eventually("the collector watches config maps") { await collectorSees(cluster, "free") }
            try await cluster.delete(TestCluster.configMaps.object("owner", namespace: "default"), propagationPolicy: "Foreground")
            try await eventually("the blocking dependent is being deleted") {
                try await cluster.configMap("blocking")?["metadata"]?["deletionTimestamp"] != nil
            }
            try await eventually("the non-blocking dependent is gone") { try await cluster.configMap("free") == nil }
            // The owner waits, deleting, for the dependent that blocks it.
            let waiting = try await cluster.configMap("owner")
            #expect(waiting?["metadata"]?["deletionTimestamp"] != nil)
            #expect(waiting?["metadata"]?["finalizers"] == ["foregroundDeletion"])
            try await cluster.mergePatch(TestCluster.configMaps.object("blocking", namespace: "default"),
                                         ["metadata": ["finalizers": nil]])
            try await eventually("the owner is gone after its dependent") {
                let blocking = try await cluster.configMap("blocking")
                let owner = try await cluster.configMap("owner")
                return blocking == nil && owner == nil
            }
            await manager.stop()
        }
    }

    @Test func foregroundDeletionOfAnOwnerWithoutDependentsFinishes() async throws {
        try await TestCluster.with { cluster in
            let manager = RunningManager(client: cluster.client)
            try await cluster.createConfigMap("alone")
            try await cluster.delete(TestCluster.configMaps.object("alone", namespace: "default"), propagationPolicy: "Foreground")
            try await eventually("the owner is gone") { try await cluster.configMap("alone") == nil }
            await manager.stop()
        }
    }

    @Test func ownersDeletedWhileTheCollectorWasDownAreCollectedAfterRestart() async throws {
        try await TestCluster.with { cluster in
            var manager = RunningManager(client: cluster.client)
            let owner = try await cluster.createConfigMap("owner")
            let replaced = try await cluster.createConfigMap("replaced")
            try await cluster.createConfigMap("child", owners: [ownerReference(to: owner)])
            try await cluster.createConfigMap("child-of-replaced", owners: [ownerReference(to: replaced)])
            try await eventually("the collector watches config maps") { await collectorSees(cluster, "child-of-replaced") }
            await manager.stop()

            // While it is down: one owner goes, the other is deleted and made again (same name, new uid).
            try await cluster.delete(TestCluster.configMaps.object("owner", namespace: "default"))
            try await cluster.delete(TestCluster.configMaps.object("replaced", namespace: "default"))
            try await cluster.createConfigMap("replaced")
            #expect(try await cluster.configMap("child") != nil)

            manager = RunningManager(client: cluster.client)
            try await eventually("the orphans are collected") {
                let child = try await cluster.configMap("child")
                let childOfReplaced = try await cluster.configMap("child-of-replaced")
                return child == nil && childOfReplaced == nil
            }
            #expect(try await cluster.configMap("replaced") != nil)
            await manager.stop()
        }
    }

    @Test func dependentsInOtherResourcesAreCollected() async throws {
        try await TestCluster.with { cluster in
            let manager = RunningManager(client: cluster.client)
            let owner = try await cluster.createConfigMap("owner")
            let secrets = ResourcePath(group: "", version: "v1", resource: "secrets", namespace: "default")
            _ = try await cluster.client.json(.POST, secrets.collection, body: [
                "apiVersion": "v1", "kind": "Secret",
                "metadata": ["name": "owned-secret", "ownerReferences": [ownerReference(to: owner)]],
                "stringData": ["a": "b"],
            ])
            try await cluster.delete(TestCluster.configMaps.object("owner", namespace: "default"))
            try await eventually("the secret is collected") { try await cluster.get(secrets.object("owned-secret")) == nil }
            await manager.stop()
        }
    }

    /// References the collector cannot resolve (an unknown kind) or that are invalid (a cluster-scoped
    /// object owned by a namespaced one) delete nothing.
    @Test func invalidOwnerReferencesDeleteNothing() async throws {
        try await TestCluster.with { cluster in
            let manager = RunningManager(client: cluster.client)
            let namespaces = ResourcePath(group: "", version: "v1", resource: "namespaces")
            try await cluster.createConfigMap("widget-child", owners: [[
                "apiVersion": "example.com/v1", "kind": "Widget", "name": "w", "uid": "11111111-1111-1111-1111-111111111111"]])
            _ = try await cluster.client.json(.POST, namespaces.collection, body: [
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": ["name": "owned-by-a-config-map", "ownerReferences": [[
                    "apiVersion": "v1", "kind": "ConfigMap", "name": "gone", "uid": "22222222-2222-2222-2222-222222222222"]]]])
            // Probes made afterwards, which the collector does delete, show it has caught up.
            try await eventually("the collector caught up with config maps") { await collectorSees(cluster, "widget-child") }
            _ = try await cluster.client.json(.POST, namespaces.collection, body: [
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": ["name": "probe", "ownerReferences": [[
                    "apiVersion": "v1", "kind": "Node", "name": "gone", "uid": "33333333-3333-3333-3333-333333333333"]]]])
            try await eventually("the probe namespace is collected") { try await cluster.get(namespaces.object("probe")) == nil }
            #expect(try await cluster.configMap("widget-child") != nil)
            #expect(try await cluster.get(namespaces.object("owned-by-a-config-map")) != nil)
            await manager.stop()
        }
    }
}

/// Whether a collector has seen `name` yet. There is no API to ask it: a probe object that the
/// collector deletes (its owner is missing) shows its watches are live and caught up past `name`'s creation.
func collectorSees(_ cluster: TestCluster, _ name: String) async -> Bool {
    let probe = "probe-\(name)"
    let missingOwner: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "name": "no-such-owner",
                                   "uid": "00000000-0000-0000-0000-000000000000"]
    do {
        if try await cluster.configMap(probe) == nil {
            try await cluster.createConfigMap(probe, owners: [missingOwner])
        }
        try await eventually("the probe is collected") { try await cluster.configMap(probe) == nil }
        return true
    } catch {
        return false
    }
}
