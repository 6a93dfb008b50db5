/// A top-level API kind: a model whose documents carry a fixed `apiVersion` and `kind`.
public protocol KubernetesKind: JSONValueConvertible, Equatable {
    /// The `apiVersion` this model's documents carry: `v1`, `apps/v1`.
    static var apiVersion: String { get }
    /// The `kind` this model's documents carry: `Pod`, `Deployment`.
    static var kind: String { get }
}

/// A kind whose objects have `ObjectMeta`: what controllers, informers and caches hold.
public protocol KubernetesObject: KubernetesKind {
    /// The object's metadata (always optional on the model, even for the kinds that require it).
    var metadata: meta.v1.ObjectMeta? { get set }
}

extension KubernetesObject {
    /// `metadata.name`.
    public var name: String? { metadata?.name }

    /// `metadata.namespace`; `nil` for cluster-scoped objects.
    public var namespace: String? { metadata?.namespace }
}

/// A list kind (`PodList`): list metadata and the items.
public protocol KubernetesList: KubernetesKind {
    associatedtype Item: KubernetesObject
    /// The list's metadata: `resourceVersion` and `continue`.
    var metadata: meta.v1.ListMeta? { get set }
    /// The listed objects.
    var items: [Item] { get set }
}

/// An object kind the API serves: where its URLs are, so a typed client builds them from the type alone
/// (`core.v1.Pod` → `/api/v1/namespaces/{ns}/pods`). Generated from the documents' list operations.
public protocol KubernetesResource: KubernetesObject {
    /// The plural name in URLs: `pods`.
    static var plural: String { get }
    /// Whether objects live in namespaces.
    static var namespaced: Bool { get }
}

extension KubernetesResource {
    /// The API group (`""` for the core group).
    public static var group: String {
        guard let slash = apiVersion.firstIndex(of: "/") else { return "" }
        return String(apiVersion[..<slash])
    }

    /// The version: `v1`.
    public static var version: String {
        guard let slash = apiVersion.firstIndex(of: "/") else { return apiVersion }
        return String(apiVersion[apiVersion.index(after: slash)...])
    }
}
