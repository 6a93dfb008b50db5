/// Group, version and resource (the plural name in URLs): what a REST path names.
public struct GroupVersionResource: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String
    public var resource: String

    public init(group: String, version: String, resource: String) {
        self.group = group
        self.version = version
        self.resource = resource
    }

    /// `group/version`, or just `version` for the core group.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `resource.group` (`deployments.apps`, or `pods` for the core group), as errors name a resource.
    public var groupResource: String { group.isEmpty ? resource : "\(resource).\(group)" }

    public var description: String { "\(apiVersion), Resource=\(resource)" }
}

/// What discovery says about one resource: its names, scope, verbs and subresources.
public struct ResourceInfo: Sendable, Hashable {
    /// A subresource such as `status`, `scale` or `log`, with the kind its requests and responses use.
    public struct Subresource: Sendable, Hashable {
        public var name: String
        /// Kind of the subresource's body (`Scale`, `Binding`, `Eviction`, or the parent's kind for `status`).
        public var kind: String
        /// Group and version of that kind when they differ from the parent's (e.g. `autoscaling/v1` Scale).
        public var group: String?
        public var version: String?
        public var verbs: [String]

        public init(name: String, kind: String, group: String? = nil, version: String? = nil, verbs: [String]) {
            self.name = name
            self.kind = kind
            self.group = group
            self.version = version
            self.verbs = verbs
        }
    }

    public var group: String
    public var version: String
    /// Plural lower-case name used in URLs (`pods`).
    public var resource: String
    /// Singular lower-case name (`pod`).
    public var singular: String
    public var kind: String
    /// The kind of lists of this resource (`PodList`).
    public var listKind: String { kind + "List" }
    public var namespaced: Bool
    /// Verbs in upstream's order: create, delete, deletecollection, get, list, patch, update, watch.
    public var verbs: [String]
    public var shortNames: [String]
    public var categories: [String]
    public var subresources: [Subresource]

    public init(
        group: String, version: String, resource: String, singular: String, kind: String, namespaced: Bool,
        verbs: [String], shortNames: [String] = [], categories: [String] = [], subresources: [Subresource] = []
    ) {
        self.group = group
        self.version = version
        self.resource = resource
        self.singular = singular
        self.kind = kind
        self.namespaced = namespaced
        self.verbs = verbs
        self.shortNames = shortNames
        self.categories = categories
        self.subresources = subresources
    }

    public var groupVersionResource: GroupVersionResource {
        GroupVersionResource(group: group, version: version, resource: resource)
    }

    public var groupVersionKind: GroupVersionKind { GroupVersionKind(group: group, version: version, kind: kind) }

    /// The subresource named `name`, if this resource has it.
    public func subresource(_ name: String) -> Subresource? { subresources.first { $0.name == name } }
}
