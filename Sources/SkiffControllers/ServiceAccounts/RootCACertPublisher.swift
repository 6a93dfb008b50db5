import Logging
import SkiffAPI
import SkiffClient

/// The root CA certificate publisher (upstream's `pkg/controller/certificates/rootcacertpublisher`):
/// every active namespace has a ConfigMap `kube-root-ca.crt` whose `ca.crt` is the cluster's CA
/// bundle, so pods can verify the API server. It is made again when deleted and put back when edited.
public struct RootCACertPublisher: Controller {
    public var name: String { Self.controllerName }
    public static let controllerName = "root-ca-certificate-publisher-controller"
    public static let configMapName = "kube-root-ca.crt"
    static let descriptionAnnotation = "kubernetes.io/description"
    static let description = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
        + "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
        + "distributions of Kubernetes clusters."

    /// The CA bundle (PEM) published as `ca.crt` (upstream's `--root-ca-file`).
    public var rootCA: String
    /// Namespaces synced at once.
    public var workers: Int
    /// How often every namespace is checked again regardless of events.
    public var resyncPeriod: Duration

    public init(rootCA: String, workers: Int = 5, resyncPeriod: Duration = .seconds(300)) {
        self.rootCA = rootCA
        self.workers = max(1, workers)
        self.resyncPeriod = resyncPeriod
    }

    static let configMaps = ResourcePath(group: "", version: "v1", resource: "configmaps")

    public func run(context: ControllerContext) async throws {
        let loop = NamespaceObjectLoop(objects: Self.configMaps, names: [Self.configMapName], workers: workers,
                                       resyncPeriod: resyncPeriod)
        let rootCA = rootCA
        let client = context.client
        await loop.run(name: name, context: context) { namespace, configMaps in
            guard let existing = configMaps.indexer.get(namespace: namespace, name: Self.configMapName) else {
                do {
                    _ = try await client.json(
                        .POST, Self.configMaps.collection(in: namespace),
                        body: ["apiVersion": "v1", "kind": "ConfigMap",
                               "metadata": ["name": .string(Self.configMapName),
                                            "annotations": [Self.descriptionAnnotation: .string(Self.description)]],
                               "data": ["ca.crt": .string(rootCA)]])
                } catch {
                    // A stale cache meets AlreadyExists: the update event that follows syncs again.
                    if NamespaceObjectLoop.namespaceIsGoing(error) || (error as? APIError)?.isAlreadyExists == true { return }
                    throw error
                }
                return
            }
            guard let updated = Self.repaired(existing, rootCA: rootCA) else { return }
            // A conflict means a newer version is on its way to the cache, and with it another sync.
            _ = try await client.json(.PUT, Self.configMaps.object(Self.configMapName, namespace: namespace), body: updated)
        }
    }

    /// `configMap` with exactly `ca.crt` as data and the description annotation, or nil when it has both.
    static func repaired(_ configMap: JSONValue, rootCA: String) -> JSONValue? {
        let data: JSONValue = ["ca.crt": .string(rootCA)]
        let described = !(configMap["metadata"]?["annotations"]?[descriptionAnnotation]?.stringValue ?? "").isEmpty
        if configMap["data"] == data && described { return nil }
        var updated = configMap
        updated["data"] = data
        updated.setValue(.string(description), at: ["metadata", "annotations", descriptionAnnotation])
        return updated
    }
}
