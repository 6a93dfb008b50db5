import Foundation
import SkiffAPI
import SkiffStorage

/// The APIService objects of the group versions this server serves itself, as upstream's aggregator keeps
/// them (`kube-aggregator.kubernetes.io/automanaged: onstart`, no service, always Available): clients list
/// them to learn what the cluster serves, and look one up before they register their own.
extension APIServer {
    /// Upstream's `apiVersionPriorities` for the groups Skiff serves (group minimum, version priority).
    static let apiServicePriorities: [String: (group: Int64, version: Int64)] = [
        "v1": (18000, 1), "apiregistration.k8s.io/v1": (18000, 15), "apps/v1": (17800, 15),
        "events.k8s.io/v1": (17750, 15), "authentication.k8s.io/v1": (17700, 15), "authorization.k8s.io/v1": (17600, 15),
        "autoscaling/v2": (17500, 30), "autoscaling/v1": (17500, 15), "batch/v1": (17400, 15),
        "certificates.k8s.io/v1": (17300, 15), "networking.k8s.io/v1": (17200, 15), "policy/v1": (17100, 15),
        "rbac.authorization.k8s.io/v1": (17000, 15), "storage.k8s.io/v1": (16800, 15),
        "admissionregistration.k8s.io/v1": (16700, 15), "apiextensions.k8s.io/v1": (16700, 15),
        "scheduling.k8s.io/v1": (16600, 15), "coordination.k8s.io/v1": (16500, 15), "node.k8s.io/v1": (16300, 15),
        "discovery.k8s.io/v1": (16200, 15), "flowcontrol.apiserver.k8s.io/v1": (16100, 21),
    ]

    /// Creates the APIService of each served group version that has none.
    func bootstrapLocalAPIServices() async throws {
        guard let apiServices = registry.resource(group: "apiregistration.k8s.io", resource: "apiservices") else { return }
        var groupVersions = Set<String>()
        for resource in registry.resources { groupVersions.insert(resource.apiVersion) }
        let now = ObjectLifecycle.timestamp(clock())
        for groupVersion in groupVersions.sorted() {
            let parts = groupVersion.split(separator: "/").map(String.init)
            let (group, version) = parts.count == 2 ? (parts[0], parts[1]) : ("", parts[0])
            let name = group.isEmpty ? version : "\(version).\(group)"
            let key = apiServices.key(namespace: nil, name: name)
            if try await store.get(key) != nil { continue }
            let priority = Self.apiServicePriorities[groupVersion] ?? (1000, 15)
            var object: JSONValue = [
                "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                "metadata": ["name": .string(name), "labels": ["kube-aggregator.kubernetes.io/automanaged": "onstart"]],
                "spec": ["group": .string(group), "version": .string(version),
                         "groupPriorityMinimum": .int(priority.group), "versionPriority": .int(priority.version)],
                "status": ["conditions": [["type": "Available", "status": "True", "lastTransitionTime": .string(now),
                                           "reason": "Local", "message": "Local APIServices are always available"]]],
            ]
            ObjectLifecycle.prepareForCreate(&object, resource: apiServices, namespace: nil, now: clock())
            do {
                _ = try await store.create(key, value: ObjectLifecycle.storageBytes(object))
            } catch {
                if !error.isKeyExists { throw error }
            }
        }
    }
}
