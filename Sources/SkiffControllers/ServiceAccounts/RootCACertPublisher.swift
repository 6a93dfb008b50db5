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

    public func run(context: ControllerContext) async throws {
        let loop = NamespaceObjectLoop<core.v1.ConfigMap>(names: [Self.configMapName], workers: workers, resyncPeriod: resyncPeriod)
        let rootCA = rootCA
        let client = context.client
        await loop.run(name: name, context: context) { namespace, configMaps in
            guard let existing = configMaps.indexer.get(namespace: namespace, name: Self.configMapName) else {
                do {
                    let configMap = core.v1.ConfigMap(
                        data: ["ca.crt": rootCA],
                        metadata: meta.v1.ObjectMeta(annotations: [Self.descriptionAnnotation: Self.description], name: Self.configMapName))
                    _ = try await client.api(core.v1.ConfigMap.self, namespace: namespace).create(configMap)
                } catch {
                    // A stale cache meets AlreadyExists: the update event that follows syncs again.
                    if namespaceIsGoing(error) || (error as? APIError)?.isAlreadyExists == true { return }
                    throw error
                }
                return
            }
            guard let updated = Self.repaired(existing, rootCA: rootCA) else { return }
            // A conflict means a newer version is on its way to the cache, and with it another sync.
            _ = try await client.api(core.v1.ConfigMap.self, namespace: namespace).update(updated)
        }
    }

    /// `configMap` with exactly `ca.crt` as data and the description annotation, or nil when it has both.
    static func repaired(_ configMap: core.v1.ConfigMap, rootCA: String) -> core.v1.ConfigMap? {
        let data = ["ca.crt": rootCA]
        let described = !(configMap.annotations[descriptionAnnotation] ?? "").isEmpty
        if configMap.data == data && described { return nil }
        var updated = configMap
        updated.data = data
        updated.setAnnotation(descriptionAnnotation, description)
        return updated
    }
}
