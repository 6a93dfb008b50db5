public import SkiffClient

/// One resource the server offers, as discovery describes it (`metav1.APIResource` with its group and version).
public struct APIResource: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String
    /// The plural name in URLs (`deployments`).
    public var resource: String
    public var kind: String
    public var namespaced: Bool
    public var verbs: Set<String>

    public init(group: String, version: String, resource: String, kind: String, namespaced: Bool, verbs: Set<String>) {
        self.group = group
        self.version = version
        self.resource = resource
        self.kind = kind
        self.namespaced = namespaced
        self.verbs = verbs
    }

    /// `v1` or `apps/v1`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// The collection across all namespaces (or of the cluster-scoped resource).
    public var path: ResourcePath { ResourcePath(group: group, version: version, resource: resource) }

    /// The collection in `namespace` (ignored for cluster-scoped resources).
    public func path(namespace: String) -> ResourcePath {
        ResourcePath(group: group, version: version, resource: resource,
                     namespace: namespaced && !namespace.isEmpty ? namespace : nil)
    }

    /// The path of one object.
    public func objectPath(name: String, namespace: String) -> String { path(namespace: namespace).object(name) }

    public func supports(_ verbs: String...) -> Bool { verbs.allSatisfy(self.verbs.contains) }

    public var description: String { group.isEmpty ? "\(version)/\(resource)" : "\(group)/\(version)/\(resource)" }
}

/// Finds the resource of an `apiVersion` and `kind` (client-go's `RESTMapper`), from discovery.
public struct RESTMapper: Sendable {
    var byVersionKind: [String: APIResource] = [:]
    /// Group and kind to the preferred version's resource: references may name another served version.
    var byGroupKind: [String: APIResource] = [:]

    /// `all` lists every served version's resources; `preferred` wins for group-kind lookups.
    public init(all: [APIResource], preferred: [APIResource]) {
        for resource in all { byVersionKind["\(resource.apiVersion)\u{0}\(resource.kind)"] = resource }
        for resource in all where byGroupKind["\(resource.group)\u{0}\(resource.kind)"] == nil {
            byGroupKind["\(resource.group)\u{0}\(resource.kind)"] = resource
        }
        for resource in preferred { byGroupKind["\(resource.group)\u{0}\(resource.kind)"] = resource }
    }

    /// The resource serving `kind` at `apiVersion` (else at the group's preferred version); nil if unknown.
    public func resource(apiVersion: String, kind: String) -> APIResource? {
        if let exact = byVersionKind["\(apiVersion)\u{0}\(kind)"] { return exact }
        let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
        return byGroupKind["\(group)\u{0}\(kind)"]
    }
}
