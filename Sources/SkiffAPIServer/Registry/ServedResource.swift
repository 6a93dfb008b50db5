import SkiffServerCodecs
import SkiffAPI

/// A resource this server stores and serves: discovery facts, storage layout, its kind's definition
/// (strategy, selectable fields, table, validation), and its watch cache.
final class ServedResource: Sendable {
    let info: ResourceInfo
    /// Storage key segment: `pods`, `deployments.apps`.
    let segment: String
    let definition: KindDefinition
    let strategy: any ResourceStrategy
    let cache: ResourceCache
    let schemas: SchemaRegistry
    /// How this version reaches its storage when it is not the storage version; `nil` when it is.
    let conversion: VersionConversion?

    init(info: ResourceInfo, definition: KindDefinition, shared: KindSharedState, schemas: SchemaRegistry, windowCapacity: Int = 4096) {
        self.info = info
        self.segment = info.group.isEmpty ? info.resource : "\(info.resource).\(info.group)"
        self.definition = definition
        self.strategy = definition.strategy(shared)
        self.schemas = schemas
        self.cache = ResourceCache(groupResource: segment, fields: definition.fields, windowCapacity: windowCapacity)
        self.conversion = nil
    }

    /// Another version of `storage`'s resource, sharing its storage, cache and behaviour; objects are
    /// converted by `converter` on their way in and out.
    init(info: ResourceInfo, servingFrom storage: ServedResource, converter: any VersionConverter) {
        self.info = info
        self.segment = storage.segment
        self.definition = storage.definition
        self.strategy = storage.strategy
        self.schemas = storage.schemas
        self.cache = storage.cache
        self.conversion = VersionConversion(storage: storage, converter: converter,
                                            apiVersion: info.groupVersionKind.apiVersion, kind: info.kind)
    }

    /// The resource in its storage version (itself unless this version is converted).
    var storage: ServedResource { conversion?.storage ?? self }

    var fields: ResourceFields { definition.fields }
    var table: any TableConvertor { definition.table }

    var group: String { info.group }
    var resource: String { info.resource }
    var kind: String { info.kind }
    var namespaced: Bool { info.namespaced }
    var apiVersion: String { info.group.isEmpty ? info.version : "\(info.group)/\(info.version)" }

    /// The storage key of one object.
    func key(namespace: String?, name: String) -> String {
        if namespaced, let namespace { return "\(WatchCacheHub.keyPrefix)\(segment)/\(namespace)/\(name)" }
        return "\(WatchCacheHub.keyPrefix)\(segment)/\(name)"
    }

    /// The storage prefix of a namespace's objects (or all of them).
    func prefix(namespace: String?) -> String {
        if namespaced, let namespace { return "\(WatchCacheHub.keyPrefix)\(segment)/\(namespace)/" }
        return "\(WatchCacheHub.keyPrefix)\(segment)/"
    }

    /// The object's schema (from the embedded OpenAPI document).
    var schema: Schema? { schemas.schema(for: info.groupVersionKind) }

    func notFound(_ name: String) -> APIError { .notFound(group: group, resource: resource, name: name) }
}
