import SkiffAPI

/// Every resource this server serves, indexed the ways requests look them up.
final class ResourceRegistry: Sendable {
    /// In discovery order.
    let resources: [ServedResource]
    let byPath: [String: ServedResource]
    /// Group names in the order `/apis` lists them ("" for the core group first).
    let groupOrder: [String]
    /// Versions of each group, preferred first.
    let groupVersions: [String: [String]]

    init(resources: [ServedResource], groupOrder: [String]) {
        self.resources = resources
        var byPath: [String: ServedResource] = [:]
        var versions: [String: [String]] = [:]
        for resource in resources {
            byPath[Self.pathKey(group: resource.group, version: resource.info.version, resource: resource.resource)] = resource
            if !(versions[resource.group]?.contains(resource.info.version) ?? false) {
                versions[resource.group, default: []].append(resource.info.version)
            }
        }
        self.byPath = byPath
        self.groupVersions = versions
        var order = groupOrder.filter { versions[$0] != nil }
        for resource in resources where !order.contains(resource.group) { order.append(resource.group) }
        self.groupOrder = order
    }

    static func pathKey(group: String, version: String, resource: String) -> String { "\(group)/\(version)/\(resource)" }

    func resource(group: String, version: String, resource: String) -> ServedResource? {
        byPath[Self.pathKey(group: group, version: version, resource: resource)]
    }

    /// The served resource of a group and resource name in its preferred version.
    func resource(group: String, resource: String) -> ServedResource? {
        guard let version = groupVersions[group]?.first else { return nil }
        return self.resource(group: group, version: version, resource: resource)
    }

    func resources(group: String, version: String) -> [ServedResource] {
        resources.filter { $0.group == group && $0.info.version == version }
    }

    /// Caches keyed by storage segment, for the hub. Several versions of one resource share one cache.
    var caches: [String: ResourceCache] {
        var result: [String: ResourceCache] = [:]
        for resource in resources where result[resource.segment] == nil { result[resource.segment] = resource.cache }
        return result
    }
}
