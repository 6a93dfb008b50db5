import Synchronization

/// Where definitions come from: the embedded upstream OpenAPI v2 document, or a document in a test.
public protocol SchemaSource: Sendable {
    /// The JSON of definition `name` (e.g. `io.k8s.api.core.v1.Pod`), or `nil`.
    func definition(named name: String) -> JSONValue?
    /// The definition that describes objects of `gvk`.
    func definitionName(for gvk: GroupVersionKind) -> String?
}

/// Definitions of a whole OpenAPI v2 document held in memory (tests, custom resources).
public struct DocumentSchemaSource: SchemaSource {
    let definitions: JSONObject
    let byKind: [GroupVersionKind: String]

    /// Reads the `definitions` of an OpenAPI v2 document.
    public init(document: JSONValue) {
        definitions = document["definitions"]?.objectValue ?? JSONObject()
        var index: [GroupVersionKind: String] = [:]
        for (name, definition) in definitions {
            for gvk in SchemaRegistry.groupVersionKinds(of: definition) where index[gvk] == nil {
                index[gvk] = name
            }
        }
        byKind = index
    }

    public func definition(named name: String) -> JSONValue? { definitions[name] }
    public func definitionName(for gvk: GroupVersionKind) -> String? { byKind[gvk] }
}

/// Builds `Schema` nodes from a source on first use and keeps them; thread-safe.
public final class SchemaRegistry: Sendable {
    let source: any SchemaSource
    let cache = Mutex<[String: Schema]>([:])

    public init(source: any SchemaSource) {
        self.source = source
    }

    /// The schema of definition `name`, or `nil` when the source has none.
    public func schema(named name: String) -> Schema? {
        if let cached = cache.withLock({ $0[name] }) { return cached }
        guard let json = source.definition(named: name) else { return nil }
        let schema = build(json, definitionName: name)
        cache.withLock { $0[name] = schema }
        return schema
    }

    /// The schema of objects of `gvk`, or `nil` when the source does not describe that kind.
    public func schema(for gvk: GroupVersionKind) -> Schema? {
        source.definitionName(for: gvk).flatMap { schema(named: $0) }
    }

    func resolve(_ link: SchemaLink) -> Schema? {
        switch link {
        case .definition(let name): return schema(named: name)
        case .inline(let schema): return schema
        }
    }

    /// Turns the JSON of one schema node into a `Schema`; `$ref`s stay links until asked for.
    func build(_ json: JSONValue, definitionName: String?) -> Schema {
        let type = json["type"]?.stringValue
        let format = json["format"]?.stringValue
        var properties: [String: SchemaLink] = [:]
        var propertyNames: [String] = []
        if let props = json["properties"]?.objectValue {
            for (name, value) in props {
                propertyNames.append(name)
                properties[name] = link(value)
            }
        }
        let items = json["items"].map(link)
        let additional: SchemaLink?
        if let ap = json["additionalProperties"], ap.objectValue != nil { additional = link(ap) } else { additional = nil }

        let kind: Schema.Kind
        switch type {
        case "object":
            if !properties.isEmpty { kind = .object } else if additional != nil { kind = .map } else { kind = .any }
        case "array": kind = .array
        case "string": kind = format == "int-or-string" ? .intOrString : .string
        case "integer": kind = .integer
        case "number": kind = .number
        case "boolean": kind = .boolean
        default:
            if !properties.isEmpty { kind = .object } else if json["x-kubernetes-int-or-string"]?.boolValue == true { kind = .intOrString } else { kind = .any }
        }

        let strategies = (json["x-kubernetes-patch-strategy"]?.stringValue ?? "")
            .split(separator: ",").map { String($0.filter { $0 != " " }) }.filter { !$0.isEmpty }

        return Schema(
            kind: kind,
            format: format,
            definitionName: definitionName,
            propertyNames: propertyNames,
            required: json["required"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            patchStrategies: strategies,
            patchMergeKey: json["x-kubernetes-patch-merge-key"]?.stringValue,
            listType: json["x-kubernetes-list-type"]?.stringValue.flatMap(Schema.ListType.init(rawValue:)),
            listMapKeys: json["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            mapType: json["x-kubernetes-map-type"]?.stringValue.flatMap(Schema.MapType.init(rawValue:)),
            groupVersionKinds: Self.groupVersionKinds(of: json),
            enumValues: json["enum"]?.arrayValue,
            properties: properties,
            items: items,
            additionalProperties: additional,
            registry: self
        )
    }

    func link(_ json: JSONValue) -> SchemaLink {
        if let ref = json["$ref"]?.stringValue {
            return .definition(Self.definitionName(fromRef: ref))
        }
        // OpenAPI v3 wraps a ref that carries a default in `allOf: [{$ref}]`.
        if let allOf = json["allOf"]?.arrayValue, allOf.count == 1, let ref = allOf[0]["$ref"]?.stringValue {
            return .definition(Self.definitionName(fromRef: ref))
        }
        return .inline(build(json, definitionName: nil))
    }

    static func definitionName(fromRef ref: String) -> String {
        if let slash = ref.lastIndex(of: "/") { return String(ref[ref.index(after: slash)...]) }
        return ref
    }

    static func groupVersionKinds(of definition: JSONValue) -> [GroupVersionKind] {
        (definition["x-kubernetes-group-version-kind"]?.arrayValue ?? []).compactMap { entry in
            guard let version = entry["version"]?.stringValue, let kind = entry["kind"]?.stringValue else { return nil }
            return GroupVersionKind(group: entry["group"]?.stringValue ?? "", version: version, kind: kind)
        }
    }
}
