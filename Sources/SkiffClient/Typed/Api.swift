import NIOHTTP1
public import SkiffAPI

/// A typed view of one resource, in one namespace or all of them (kube-rs's `Api<K>`, client-go's typed
/// clientsets): every URL comes from the model's `apiVersion` and `plural`, so no component writes a path.
/// Errors the server reports are thrown as `APIError`; a body that is not the model is a `ModelDecodingError`.
public struct Api<Object: KubernetesResource>: Sendable {
    public let client: RESTClient
    /// nil: all namespaces (list and watch), or a cluster-scoped resource.
    public let namespace: String?

    public init(client: RESTClient, namespace: String? = nil) {
        self.client = client
        self.namespace = Object.namespaced ? namespace.flatMap { $0.isEmpty ? nil : $0 } : nil
    }

    /// The collection's path, as an informer lists and watches it.
    public var resourcePath: ResourcePath {
        ResourcePath(group: Object.group, version: Object.version, resource: Object.plural, namespace: namespace)
    }

    /// The path of one object, or of its subresource.
    public func path(_ name: String, subresource: String? = nil) -> String {
        let object = resourcePath.object(name)
        return subresource.map { "\(object)/\($0)" } ?? object
    }

    // MARK: Verbs

    /// GET the object.
    public func get(_ name: String) async throws -> Object {
        try Object(json: try await client.json(.GET, path(name)))
    }

    /// LIST one page; `limit` 0 asks for all.
    public func list(labelSelector: String = "", fieldSelector: String = "", limit: Int = 0,
                     continueToken: String? = nil) async throws -> TypedList<Object> {
        var query: [(String, String)] = []
        if !labelSelector.isEmpty { query.append(("labelSelector", labelSelector)) }
        if !fieldSelector.isEmpty { query.append(("fieldSelector", fieldSelector)) }
        if limit > 0 { query.append(("limit", String(limit))) }
        if let continueToken { query.append(("continue", continueToken)) }
        let list = try await client.json(.GET, resourcePath.collection, query: query)
        let items = try (list["items"]?.arrayValue ?? []).map { try Object(json: $0) }
        let token = list["metadata"]?["continue"]?.stringValue
        return TypedList(items: items, resourceVersion: list["metadata"]?["resourceVersion"]?.stringValue ?? "",
                         continueToken: token?.isEmpty == false ? token : nil)
    }

    /// POST a new object into this namespace (or the object's own when this `Api` spans all of them).
    public func create(_ object: Object, options: WriteOptions = WriteOptions()) async throws -> Object {
        try Object(json: try await client.json(.POST, scoped(to: object).resourcePath.collection, query: options.query,
                                               body: object.json))
    }

    /// PUT the object (its resourceVersion, when set, is the precondition).
    public func update(_ object: Object, options: WriteOptions = WriteOptions()) async throws -> Object {
        try await put(object, subresource: nil, options: options)
    }

    /// PUT the object's `status` subresource: only its status changes.
    public func updateStatus(_ object: Object, options: WriteOptions = WriteOptions()) async throws -> Object {
        try await put(object, subresource: "status", options: options)
    }

    /// PATCH the object (or a subresource) and return what the server stored.
    public func patch(_ name: String, _ patch: Patch, subresource: String? = nil,
                      options: WriteOptions = WriteOptions()) async throws -> Object {
        var query = options.query
        if case .apply(_, let force) = patch, force { query.append(("force", "true")) }
        let value = try await client.json(.PATCH, path(name, subresource: subresource), query: query,
                                          body: patch.body, contentType: patch.contentType)
        return try Object(json: value)
    }

    /// DELETE the object. Returns the object as the server answered (gone, or still there with a
    /// `deletionTimestamp` while finalizers or a grace period run), or nil when it answered with a Status.
    @discardableResult
    public func delete(_ name: String, options: meta.v1.DeleteOptions? = nil) async throws -> Object? {
        var body = options?.json
        if body != nil {
            body?["apiVersion"] = "v1"
            body?["kind"] = "DeleteOptions"
        }
        let value = try await client.json(.DELETE, path(name), body: body)
        return value["kind"]?.stringValue == Object.kind ? try Object(json: value) : nil
    }

    /// WATCH from `resourceVersion` ("" for the current state first): typed events until the server ends
    /// the watch. An ERROR event's Status is thrown as `APIError` (410 Gone: list again).
    public func watch(resourceVersion: String = "", labelSelector: String = "", fieldSelector: String = "",
                      timeoutSeconds: Int? = nil) -> AsyncThrowingStream<TypedWatchEvent<Object>, any Error> {
        var query: [(String, String)] = [("allowWatchBookmarks", "true")]
        if !resourceVersion.isEmpty { query.append(("resourceVersion", resourceVersion)) }
        if !labelSelector.isEmpty { query.append(("labelSelector", labelSelector)) }
        if !fieldSelector.isEmpty { query.append(("fieldSelector", fieldSelector)) }
        if let timeoutSeconds { query.append(("timeoutSeconds", String(timeoutSeconds))) }
        let raw = client.watch(resourcePath.collection, query: query)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await event in raw {
                        continuation.yield(try TypedWatchEvent(event))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func put(_ object: Object, subresource: String?, options: WriteOptions) async throws -> Object {
        guard let name = object.metadata?.name, !name.isEmpty else {
            throw APIError(code: 422, reason: "Invalid", message: "\(Object.kind) has no metadata.name to update")
        }
        return try Object(json: try await client.json(.PUT, scoped(to: object).path(name, subresource: subresource),
                                                      query: options.query, body: object.json))
    }

    /// This `Api`, or, when it spans all namespaces, the one of the object's own namespace.
    private func scoped(to object: Object) -> Api {
        guard namespace == nil, Object.namespaced, let own = object.metadata?.namespace else { return self }
        return Api(client: client, namespace: own)
    }
}

/// One page of a typed list.
public struct TypedList<Object: KubernetesResource>: Sendable {
    public var items: [Object]
    public var resourceVersion: String
    /// Set when more pages follow.
    public var continueToken: String?
}

/// A typed watch event; bookmarks carry only the resourceVersion.
public enum TypedWatchEvent<Object: KubernetesResource>: Sendable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    case bookmark(resourceVersion: String)

    init(_ event: WatchEvent) throws {
        switch event.type {
        case "ADDED": self = .added(try Object(json: event.object))
        case "MODIFIED": self = .modified(try Object(json: event.object))
        case "DELETED": self = .deleted(try Object(json: event.object))
        case "BOOKMARK": self = .bookmark(resourceVersion: event.object["metadata"]?["resourceVersion"]?.stringValue ?? "")
        default:
            throw APIError(status: event.object)
                ?? APIError(code: 500, reason: "InternalError", message: "unexpected watch event \(event.type)")
        }
    }
}

/// A patch and its content type.
public enum Patch: Sendable {
    /// RFC 7386 JSON merge patch.
    case merge(JSONValue)
    /// Kubernetes strategic merge patch (built-in kinds).
    case strategic(JSONValue)
    /// RFC 6902 JSON patch operations.
    case json([JSONValue])
    /// Server-side apply of a partial object (`fieldManager` is required in `WriteOptions`).
    case apply(JSONValue, force: Bool = false)

    var contentType: String {
        switch self {
        case .merge: "application/merge-patch+json"
        case .strategic: "application/strategic-merge-patch+json"
        case .json: "application/json-patch+json"
        case .apply: "application/apply-patch+yaml"
        }
    }

    var body: JSONValue {
        switch self {
        case .merge(let value), .strategic(let value), .apply(let value, _): value
        case .json(let operations): .array(operations)
        }
    }
}

/// Query options of writes.
public struct WriteOptions: Sendable {
    /// Who owns the fields written (managedFields); required by apply.
    public var fieldManager: String?
    /// `All`: validate and return the result without storing it.
    public var dryRun: Bool
    /// `Strict`, `Warn` or `Ignore`: what unknown or duplicate fields do.
    public var fieldValidation: String?

    public init(fieldManager: String? = nil, dryRun: Bool = false, fieldValidation: String? = nil) {
        self.fieldManager = fieldManager
        self.dryRun = dryRun
        self.fieldValidation = fieldValidation
    }

    var query: [(String, String)] {
        var query: [(String, String)] = []
        if let fieldManager { query.append(("fieldManager", fieldManager)) }
        if dryRun { query.append(("dryRun", "All")) }
        if let fieldValidation { query.append(("fieldValidation", fieldValidation)) }
        return query
    }
}

extension RESTClient {
    /// The typed API of `type`, in `namespace` (nil: all namespaces, or cluster-scoped).
    public func api<Object: KubernetesResource>(_ type: Object.Type, namespace: String? = nil) -> Api<Object> {
        Api(client: self, namespace: namespace)
    }

    public func pods(_ namespace: String? = nil) -> Api<core.v1.Pod> { Api(client: self, namespace: namespace) }
    public func nodes() -> Api<core.v1.Node> { Api(client: self) }
    public func namespaces() -> Api<core.v1.Namespace> { Api(client: self) }
    public func services(_ namespace: String? = nil) -> Api<core.v1.Service> { Api(client: self, namespace: namespace) }
    public func configMaps(_ namespace: String? = nil) -> Api<core.v1.ConfigMap> { Api(client: self, namespace: namespace) }
    public func secrets(_ namespace: String? = nil) -> Api<core.v1.Secret> { Api(client: self, namespace: namespace) }
    public func replicaSets(_ namespace: String? = nil) -> Api<apps.v1.ReplicaSet> { Api(client: self, namespace: namespace) }
    public func deployments(_ namespace: String? = nil) -> Api<apps.v1.Deployment> { Api(client: self, namespace: namespace) }
}
