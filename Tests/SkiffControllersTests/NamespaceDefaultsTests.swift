import SkiffAPI
import SkiffClient
import SkiffControllers
import Testing

/// The service account controller and the root CA publisher against a real API server: every active
/// namespace gets the `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap, and keeps them.
@Suite(.timeLimit(.minutes(5))) struct NamespaceDefaultsTests {
    static let namespaces = ResourcePath(group: "", version: "v1", resource: "namespaces")
    static let serviceAccounts = ResourcePath(group: "", version: "v1", resource: "serviceaccounts")

    func start(_ cluster: TestCluster) -> RunningManager {
        RunningManager(client: cluster.client, configuration: .init(
            leaderElect: false,
            controllers: [ServiceAccountsController(), RootCACertPublisher(rootCA: cluster.server.server.pki.caCertificatePEM),
                          NamespaceController(workers: 2)]))
    }

    func createNamespace(_ cluster: TestCluster, _ name: String) async throws {
        _ = try await cluster.client.json(.POST, Self.namespaces.collection,
                                          body: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
    }

    func serviceAccount(_ cluster: TestCluster, _ namespace: String) async throws -> JSONValue? {
        try await cluster.get(Self.serviceAccounts.object("default", namespace: namespace))
    }

    @Test func newNamespacesGetTheDefaultServiceAccountBackAfterDeletion() async throws {
        try await TestCluster.with { cluster in
            let manager = start(cluster)
            try await eventually("existing namespaces have a default account") {
                let inDefault = try await serviceAccount(cluster, "default")
                let inSystem = try await serviceAccount(cluster, "kube-system")
                return inDefault != nil && inSystem != nil
            }
            try await createNamespace(cluster, "newns")
            try await eventually("the new namespace has a default account") { try await serviceAccount(cluster, "newns") != nil }
            let first = try #require(try await serviceAccount(cluster, "newns"))
            try await cluster.delete(Self.serviceAccounts.object("default", namespace: "newns"))
            try await eventually("the account is made again") {
                guard let again = try await serviceAccount(cluster, "newns") else { return false }
                return again["metadata"]?["uid"] != first["metadata"]?["uid"]
            }
            await manager.stop()
        }
    }

    @Test func newNamespacesGetTheRootCAConfigMapRestoredAfterEditsAndDeletion() async throws {
        try await TestCluster.with { cluster in
            let pem = cluster.server.server.pki.caCertificatePEM
            let manager = start(cluster)
            try await createNamespace(cluster, "newns")
            let path = TestCluster.configMaps.object("kube-root-ca.crt", namespace: "newns")
            try await eventually("the namespace has kube-root-ca.crt") {
                try await cluster.configMap("kube-root-ca.crt", namespace: "newns")?["data"]?["ca.crt"]?.stringValue == pem
            }
            let published = try #require(try await cluster.configMap("kube-root-ca.crt", namespace: "newns"))
            #expect(published["data"]?.objectValue?.count == 1)
            #expect(published["metadata"]?["annotations"]?["kubernetes.io/description"]?.stringValue?.hasPrefix("Contains a CA bundle") == true)

            try await cluster.mergePatch(path, ["data": ["ca.crt": "tampered", "extra": "x"],
                                                "metadata": ["annotations": ["kubernetes.io/description": nil]]])
            try await eventually("the edit is undone") {
                let current = try await cluster.configMap("kube-root-ca.crt", namespace: "newns")
                return current?["data"] == ["ca.crt": .string(pem)]
                    && current?["metadata"]?["annotations"]?["kubernetes.io/description"] != nil
            }
            try await cluster.delete(path)
            try await eventually("the deleted ConfigMap is made again") {
                guard let again = try await cluster.configMap("kube-root-ca.crt", namespace: "newns") else { return false }
                return again["metadata"]?["uid"] != published["metadata"]?["uid"] && again["data"]?["ca.crt"]?.stringValue == pem
            }
            await manager.stop()
        }
    }

    /// A namespace being deleted loses both objects for good: neither controller writes into it.
    @Test func terminatingNamespacesAreLeftToGo() async throws {
        try await TestCluster.with { cluster in
            let manager = start(cluster)
            try await createNamespace(cluster, "doomed")
            try await eventually("both objects exist") {
                let account = try await serviceAccount(cluster, "doomed")
                let configMap = try await cluster.configMap("kube-root-ca.crt", namespace: "doomed")
                return account != nil && configMap != nil
            }
            try await cluster.delete(Self.namespaces.object("doomed"))
            try await eventually("the namespace is gone") { try await cluster.get(Self.namespaces.object("doomed")) == nil }
            #expect(try await serviceAccount(cluster, "doomed") == nil)
            #expect(try await cluster.configMap("kube-root-ca.crt", namespace: "doomed") == nil)
            await manager.stop()
        }
    }
}
