/// One node of an OpenAPI schema of the API, with the Kubernetes extensions that decoding, pruning,
/// strategic merge patch and server-side apply rely on (`x-kubernetes-patch-strategy`,
/// `x-kubernetes-list-type`, …). References to named definitions are resolved lazily through the
/// registry that made the node, so recursive schemas (JSONSchemaProps) are fine.
public struct Schema: Sendable {
    /// The shape of values this node accepts.
    public enum Kind: Sendable, Equatable {
        /// An object with known properties (a Go struct).
        case object
        /// An object whose members all have one schema (`additionalProperties`; a Go map).
        case map
        case array
        case string
        case integer
        case number
        case boolean
        /// `IntOrString`: an integer or a string.
        case intOrString
        /// Anything (RawExtension, apiextensions JSON, FieldsV1): kept as it is, never pruned.
        case any
    }

    /// `x-kubernetes-list-type`.
    public enum ListType: String, Sendable { case atomic, set, map }
    /// `x-kubernetes-map-type` (also used on structs).
    public enum MapType: String, Sendable { case atomic, granular }

    public let kind: Kind
    /// `format` (int32, int64, date-time, byte, …).
    public let format: String?
    /// The definition name (`io.k8s.api.core.v1.Pod`) when this node is a named definition.
    public let definitionName: String?
    /// Property names of an object node.
    public let propertyNames: [String]
    /// Properties that must be present.
    public let required: [String]
    /// `x-kubernetes-patch-strategy`, split on commas ("merge", "retainKeys", "replace").
    public let patchStrategies: [String]
    /// `x-kubernetes-patch-merge-key`.
    public let patchMergeKey: String?
    public let listType: ListType?
    /// `x-kubernetes-list-map-keys`.
    public let listMapKeys: [String]
    public let mapType: MapType?
    /// `x-kubernetes-group-version-kind` of a top-level definition.
    public let groupVersionKinds: [GroupVersionKind]
    /// Allowed values (`enum`), when the document lists them.
    public let enumValues: [JSONValue]?

    let properties: [String: SchemaLink]
    let items: SchemaLink?
    let additionalProperties: SchemaLink?
    let registry: SchemaRegistry

    /// The schema of property `name` of an object node, or `nil` when there is no such property.
    public func property(_ name: String) -> Schema? {
        properties[name].flatMap { registry.resolve($0) }
    }

    /// The schema of an array's elements.
    public var elements: Schema? { items.flatMap { registry.resolve($0) } }

    /// The schema of a map's values.
    public var values: Schema? { additionalProperties.flatMap { registry.resolve($0) } }

    /// Whether strategic merge patch merges this list by `patchMergeKey` (or as a set of primitives).
    public var mergesList: Bool { patchStrategies.contains("merge") }

    /// Whether `retainKeys` applies (fields absent from the patch are cleared).
    public var retainsKeys: Bool { patchStrategies.contains("retainKeys") }
}

/// A reference from one schema node to another.
indirect enum SchemaLink: Sendable {
    case definition(String)
    case inline(Schema)
}

/// Group, version and kind of an object: what `apiVersion` and `kind` say.
public struct GroupVersionKind: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String
    public var kind: String

    public init(group: String, version: String, kind: String) {
        self.group = group
        self.version = version
        self.kind = kind
    }

    /// Splits an `apiVersion` such as `apps/v1` (or `v1` for the core group).
    public init(apiVersion: String, kind: String) {
        if let slash = apiVersion.firstIndex(of: "/") {
            group = String(apiVersion[..<slash])
            version = String(apiVersion[apiVersion.index(after: slash)...])
        } else {
            group = ""
            version = apiVersion
        }
        self.kind = kind
    }

    /// `group/version`, or just `version` for the core group.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    public var description: String { "\(apiVersion), Kind=\(kind)" }
}
