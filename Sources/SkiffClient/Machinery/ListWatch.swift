public import SkiffAPI

/// One page of a list.
public struct ListPage<Object: InformerObject>: Sendable {
    public var items: [Object]
    public var resourceVersion: String
    /// Set when more pages follow.
    public var continueToken: String?

    public init(items: [Object], resourceVersion: String, continueToken: String?) {
        self.items = items
        self.resourceVersion = resourceVersion
        self.continueToken = continueToken
    }
}

/// Rewrites an object before an informer caches it, e.g. to drop what no handler reads. Typed informers
/// decode straight from bytes and apply `stripsManagedFields` to the model; a custom `json` rewrite makes
/// them decode through a `JSONValue` instead.
public struct InformerTransform: Sendable {
    /// The rewrite of the JSON form.
    public let json: @Sendable (JSONValue) -> JSONValue
    /// Whether this is exactly "drop `metadata.managedFields`", which typed models do without JSON.
    public let stripsManagedFields: Bool

    /// A custom rewrite.
    public init(_ json: @escaping @Sendable (JSONValue) -> JSONValue) {
        self.json = json
        stripsManagedFields = false
    }

    init(stripsManagedFields: Bool, json: @escaping @Sendable (JSONValue) -> JSONValue) {
        self.json = json
        self.stripsManagedFields = stripsManagedFields
    }

    public func callAsFunction(_ object: JSONValue) -> JSONValue { json(object) }
}

/// Transforms informers commonly use.
public enum InformerTransforms {
    /// Drops `metadata.managedFields`, which controllers never read and which can be half an object's
    /// size (client-go's `TransformStripManagedFields`, used by kube-scheduler and kube-controller-manager).
    public static let stripManagedFields = InformerTransform(stripsManagedFields: true) { object in
        guard object["metadata"]?["managedFields"] != nil else { return object }
        var copy = object
        copy.setValue(JSONValue?.none, at: ["metadata", "managedFields"])
        return copy
    }
}

/// How a reflector lists and watches one collection (client-go's `ListerWatcher`).
public struct ListWatch<Object: InformerObject>: Sendable {
    /// Lists one page; `continueToken` nil for the first.
    public var list: @Sendable (_ continueToken: String?) async throws -> ListPage<Object>
    /// Watches from a resourceVersion.
    public var watch: @Sendable (_ resourceVersion: String) -> AsyncThrowingStream<WatchEvent, any Error>
    /// Applied to each watched object before it is decoded and cached (client-go's `TransformFunc`); `list`
    /// applies it to its items itself.
    public var transform: InformerTransform?

    public init(list: @escaping @Sendable (String?) async throws -> ListPage<Object>,
                watch: @escaping @Sendable (String) -> AsyncThrowingStream<WatchEvent, any Error>,
                transform: InformerTransform? = nil) {
        self.list = list
        self.watch = watch
        self.transform = transform
    }
}

/// The REST path of a collection: `/api/v1/pods`, `/apis/apps/v1/namespaces/web/deployments`.
public struct ResourcePath: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String
    public var resource: String
    /// nil: all namespaces (or a cluster-scoped resource).
    public var namespace: String?

    public init(group: String, version: String, resource: String, namespace: String? = nil) {
        self.group = group
        self.version = version
        self.resource = resource
        self.namespace = namespace
    }

    /// The collection's path.
    public var collection: String {
        let base = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if let namespace { return "\(base)/namespaces/\(namespace)/\(resource)" }
        return "\(base)/\(resource)"
    }

    /// The path of one object (in `namespace`, or this path's namespace).
    public func object(_ name: String, namespace: String? = nil) -> String {
        var copy = self
        if let namespace { copy.namespace = namespace.isEmpty ? nil : namespace }
        return "\(copy.collection)/\(name)"
    }

    public var description: String { collection }
}

extension ListWatch {
    /// Lists (500 per page) and watches (with bookmarks, 5–10 minute server timeouts) a collection over REST.
    public static func rest(_ client: RESTClient, _ path: ResourcePath, labelSelector: String? = nil,
                            fieldSelector: String? = nil, transform: InformerTransform? = nil) -> ListWatch<Object> {
        var selectors: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { selectors.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { selectors.append(("fieldSelector", fieldSelector)) }
        let fixed = selectors
        return ListWatch(
            list: { token in
                var query = fixed + [("limit", "500")]
                if let token { query.append(("continue", token)) }
                let response = try await client.send(.GET, path.collection, query: query, accept: Object.informerAccept)
                guard (200..<300).contains(response.status.code) else {
                    throw RESTClient.failure(status: response.status, body: response.body)
                }
                return try ListPage(listBytes: response.body, transform: transform)
            },
            watch: { resourceVersion in
                client.watch(path.collection, query: fixed + [("resourceVersion", resourceVersion),
                                                             ("allowWatchBookmarks", "true"),
                                                             ("timeoutSeconds", String(Int.random(in: 300...600)))],
                             accept: Object.informerAccept) { event in
                    try event.predecode(Object.self, transform: transform)
                }
            },
            transform: transform)
    }
}

extension ListPage {
    /// Reads a list response: its metadata, and each item decoded from its own bytes (no `JSONValue` tree of
    /// the whole list).
    init(listBytes: [UInt8], transform: InformerTransform?) throws {
        var items: [Object] = []
        var resourceVersion = ""
        var token: String?
        try JSONReader.read(listBytes) { reader in
            try reader.beginObject()
            while let key = try reader.nextKey() {
                if key == "items", try reader.peek() == .array {
                    try reader.beginArray()
                    while try reader.nextElement() {
                        items.append(try Object(informerBytes: try reader.readRawValue(), transform: transform))
                    }
                } else if key == "metadata", try reader.peek() == .object {
                    try reader.beginObject()
                    while let field = try reader.nextKey() {
                        if field == "resourceVersion", try reader.peek() == .string {
                            resourceVersion = try reader.readString()
                        } else if field == "continue", try reader.peek() == .string {
                            token = try reader.readString()
                        } else {
                            try reader.skipValue()
                        }
                    }
                } else {
                    try reader.skipValue()
                }
            }
        }
        self.init(items: items, resourceVersion: resourceVersion, continueToken: token?.isEmpty == false ? token : nil)
    }
}
