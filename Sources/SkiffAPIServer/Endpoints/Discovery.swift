import Crypto
import Foundation
import SkiffAPI

/// The discovery documents: `/api`, `/apis`, `/apis/<group>`, `/api/v1`, `/apis/<group>/<version>`,
/// in the legacy form and in aggregated discovery (`apidiscovery.k8s.io` v2 and v2beta1), which
/// kubectl ≥ 1.26 asks for first. Built once; they only change when the served resources do.
struct Discovery: Sendable {
    let registry: ResourceRegistry
    /// `host:port` clients reach the server at (for `serverAddressByClientCIDRs`).
    let serverAddress: String

    // MARK: legacy

    var coreVersions: JSONValue {
        ["kind": "APIVersions", "versions": ["v1"],
         "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]]]
    }

    var groupList: JSONValue {
        ["kind": "APIGroupList", "apiVersion": "v1",
         "groups": .array(registry.groupOrder.filter { !$0.isEmpty }.map(group))]
    }

    func group(_ name: String) -> JSONValue {
        let versions = (registry.groupVersions[name] ?? []).map { version -> JSONValue in
            ["groupVersion": .string("\(name)/\(version)"), "version": .string(version)]
        }
        return ["kind": "APIGroup", "apiVersion": "v1", "name": .string(name), "versions": .array(versions),
                "preferredVersion": versions.first ?? nil]
    }

    func resourceList(group: String, version: String) -> JSONValue? {
        let resources = registry.resources(group: group, version: version)
        guard !resources.isEmpty else { return nil }
        var entries: [JSONValue] = []
        for resource in resources {
            let info = resource.info
            var entry: JSONValue = ["name": .string(info.resource), "singularName": .string(info.singular),
                                    "namespaced": .bool(info.namespaced), "kind": .string(info.kind),
                                    "verbs": .array(info.verbs.map { .string($0) })]
            if !info.shortNames.isEmpty { entry["shortNames"] = .array(info.shortNames.map { .string($0) }) }
            if !info.categories.isEmpty { entry["categories"] = .array(info.categories.map { .string($0) }) }
            // Every version of a resource names its storage version's hash, as upstream's does.
            entry["storageVersionHash"] = .string(Self.storageVersionHash(resource.storage.info))
            entries.append(entry)
            for sub in info.subresources {
                var subEntry: JSONValue = ["name": .string("\(info.resource)/\(sub.name)"), "singularName": "",
                                           "namespaced": .bool(info.namespaced), "kind": .string(sub.kind),
                                           "verbs": .array(sub.verbs.map { .string($0) })]
                if let g = sub.group { subEntry["group"] = .string(g) }
                if let v = sub.version { subEntry["version"] = .string(v) }
                entries.append(subEntry)
            }
        }
        return ["kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"), "resources": .array(entries)]
    }

    // MARK: aggregated

    /// The `APIGroupDiscoveryList` for `/api` (core only) or `/apis` (all other groups).
    func aggregated(core: Bool, version: String) -> JSONValue {
        let groups = registry.groupOrder.filter { core ? $0.isEmpty : !$0.isEmpty }
        let items = groups.map { group -> JSONValue in
            let versions = (registry.groupVersions[group] ?? []).map { v -> JSONValue in
                ["version": .string(v), "resources": .array(registry.resources(group: group, version: v).map(aggregatedResource)),
                 "freshness": "Current"]
            }
            return ["metadata": ["name": .string(group), "creationTimestamp": nil], "versions": .array(versions)]
        }
        return ["kind": "APIGroupDiscoveryList", "apiVersion": .string("apidiscovery.k8s.io/\(version)"),
                "metadata": [:], "items": .array(items)]
    }

    func aggregatedResource(_ resource: ServedResource) -> JSONValue {
        let info = resource.info
        var entry: JSONValue = [
            "resource": .string(info.resource),
            "responseKind": ["group": .string(info.group), "version": .string(info.version), "kind": .string(info.kind)],
            "scope": .string(info.namespaced ? "Namespaced" : "Cluster"),
            "singularResource": .string(info.singular),
            "verbs": .array(info.verbs.map { .string($0) }),
        ]
        if !info.shortNames.isEmpty { entry["shortNames"] = .array(info.shortNames.map { .string($0) }) }
        if !info.categories.isEmpty { entry["categories"] = .array(info.categories.map { .string($0) }) }
        if !info.subresources.isEmpty {
            entry["subresources"] = .array(info.subresources.map { sub in
                ["subresource": .string(sub.name),
                 "responseKind": ["group": .string(sub.group ?? info.group), "version": .string(sub.version ?? info.version),
                                  "kind": .string(sub.kind)],
                 "verbs": .array(sub.verbs.map { .string($0) })]
            })
        }
        return entry
    }

    /// Upstream's storage version hash: the first 8 bytes of SHA-256 of "group/version/kind", base64.
    static func storageVersionHash(_ info: ResourceInfo) -> String {
        let digest = SHA256.hash(data: Data("\(info.group)/\(info.version)/\(info.kind)".utf8))
        return Data(digest.prefix(8)).base64EncodedString()
    }
}
