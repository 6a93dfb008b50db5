public import SkiffAPI

extension Api where Object == core.v1.Pod {
    /// POST `pods/<name>/binding`: assigns the pod to `node` (what a scheduler does).
    public func bind(_ name: String, to node: String) async throws {
        let binding = core.v1.Binding(metadata: meta.v1.ObjectMeta(name: name, namespace: namespace),
                                      target: core.v1.ObjectReference(apiVersion: "v1", kind: "Node", name: node))
        _ = try await client.json(.POST, path(name, subresource: "binding"), body: binding.json)
    }

    /// POST `pods/<name>/eviction`: deletes the pod unless a PodDisruptionBudget forbids it (429).
    public func evict(_ name: String, options: meta.v1.DeleteOptions? = nil) async throws {
        let eviction = policy.v1.Eviction(deleteOptions: options, metadata: meta.v1.ObjectMeta(name: name, namespace: namespace))
        _ = try await client.json(.POST, path(name, subresource: "eviction"), body: eviction.json)
    }
}

/// Kinds with a `scale` subresource.
public protocol Scalable: KubernetesResource {}
extension apps.v1.Deployment: Scalable {}
extension apps.v1.ReplicaSet: Scalable {}
extension apps.v1.StatefulSet: Scalable {}
extension core.v1.ReplicationController: Scalable {}

extension Api where Object: Scalable {
    /// GET the `scale` subresource.
    public func scale(_ name: String) async throws -> autoscaling.v1.Scale {
        try autoscaling.v1.Scale(json: try await client.json(.GET, path(name, subresource: "scale")))
    }

    /// Sets `spec.replicas` through the `scale` subresource.
    @discardableResult
    public func scale(_ name: String, replicas: Int32) async throws -> autoscaling.v1.Scale {
        let patch: JSONValue = ["spec": ["replicas": .int(Int64(replicas))]]
        return try autoscaling.v1.Scale(json: try await client.json(.PATCH, path(name, subresource: "scale"), body: patch,
                                                                    contentType: "application/merge-patch+json"))
    }
}
