import Foundation
import SkiffAPI

// Interim shims until the selector, validation and patch libraries land from their branches.

/// The built-in resources (interim: a few kinds until the discovery table lands).
enum BuiltinCatalog {
    static var schemaSource: any SchemaSource { EmbeddedOpenAPI.schemaSource }

    static var openAPISource: any OpenAPIDocumentSource { EmbeddedOpenAPIDocuments() }

    static func registry(schemas: SchemaRegistry) -> ResourceRegistry {
        let all = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
        let statusVerbs = ["get", "patch", "update"]
        func status(_ kind: String) -> ResourceInfo.Subresource { .init(name: "status", kind: kind, verbs: statusVerbs) }
        func scale() -> ResourceInfo.Subresource { .init(name: "scale", kind: "Scale", group: "autoscaling", version: "v1", verbs: statusVerbs) }
        let infos: [ResourceInfo] = [
            ResourceInfo(group: "", version: "v1", resource: "namespaces", singular: "namespace", kind: "Namespace", namespaced: false,
                         verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], shortNames: ["ns"],
                         subresources: [status("Namespace"), .init(name: "finalize", kind: "Namespace", verbs: ["update"])]),
            ResourceInfo(group: "", version: "v1", resource: "configmaps", singular: "configmap", kind: "ConfigMap", namespaced: true,
                         verbs: all, shortNames: ["cm"]),
            ResourceInfo(group: "", version: "v1", resource: "secrets", singular: "secret", kind: "Secret", namespaced: true, verbs: all),
            ResourceInfo(group: "", version: "v1", resource: "pods", singular: "pod", kind: "Pod", namespaced: true,
                         verbs: all, shortNames: ["po"], categories: ["all"],
                         subresources: [status("Pod"), .init(name: "binding", kind: "Binding", verbs: ["create"])]),
            ResourceInfo(group: "", version: "v1", resource: "events", singular: "event", kind: "Event", namespaced: true,
                         verbs: all, shortNames: ["ev"]),
            ResourceInfo(group: "", version: "v1", resource: "nodes", singular: "node", kind: "Node", namespaced: false,
                         verbs: all, shortNames: ["no"], subresources: [status("Node")]),
            ResourceInfo(group: "", version: "v1", resource: "serviceaccounts", singular: "serviceaccount", kind: "ServiceAccount",
                         namespaced: true, verbs: all, shortNames: ["sa"]),
            ResourceInfo(group: "", version: "v1", resource: "endpoints", singular: "endpoints", kind: "Endpoints", namespaced: true,
                         verbs: all, shortNames: ["ep"]),
            ResourceInfo(group: "apps", version: "v1", resource: "deployments", singular: "deployment", kind: "Deployment", namespaced: true,
                         verbs: all, shortNames: ["deploy"], categories: ["all"], subresources: [scale(), status("Deployment")]),
            ResourceInfo(group: "apps", version: "v1", resource: "replicasets", singular: "replicaset", kind: "ReplicaSet", namespaced: true,
                         verbs: all, shortNames: ["rs"], categories: ["all"], subresources: [scale(), status("ReplicaSet")]),
            ResourceInfo(group: "coordination.k8s.io", version: "v1", resource: "leases", singular: "lease", kind: "Lease",
                         namespaced: true, verbs: all),
            ResourceInfo(group: "", version: "v1", resource: "services", singular: "service", kind: "Service", namespaced: true,
                         verbs: all, shortNames: ["svc"], categories: ["all"], subresources: [status("Service")]),
        ]
        let allocator = ServiceAllocator()
        let served = infos.map {
            ServedResource(info: $0, strategy: KindBehaviours.strategy(group: $0.group, resource: $0.resource, services: allocator),
                           fields: KindBehaviours.fields(group: $0.group, resource: $0.resource), table: DefaultTableConvertor(),
                           schemas: schemas)
        }
        let registry = ResourceRegistry(resources: served, groupOrder: ["", "apps", "coordination.k8s.io"])
        if let services = registry.resource(group: "", resource: "services") {
            let cache = services.cache
            allocator.services.withLock { $0 = { cache.list(namespace: nil, atLeast: 0).objects.compactMap { try? $0.parsed() } } }
        }
        return registry
    }
}
