public import SkiffAPI

/// Typed models in informers: decoded once, in the reflector, into the model; handlers, indexers and
/// listers then read fields, not JSON subscripts.
extension InformerObject where Self: KubernetesObject {
    public var objectNamespace: String { metadata?.namespace ?? "" }
    public var objectName: String { metadata?.name ?? "" }
    public var objectResourceVersion: String { metadata?.resourceVersion ?? "" }
    public var objectLabels: [String: String] { metadata?.labels ?? [:] }

    public init(informerJSON json: JSONValue) throws { try self.init(json: json) }

    public init(informerBytes bytes: [UInt8], transform: InformerTransform?) throws {
        guard let transform, !transform.stripsManagedFields else {
            try self.init(jsonBytes: bytes)
            if transform != nil { metadata?.managedFields = nil }
            return
        }
        let json = try JSONValue(parsing: bytes)
        try self.init(json: transform(json))
    }
}

extension SharedInformerFactory {
    /// The shared typed informer of `Object` in `namespace` (nil: all namespaces, or cluster-scoped).
    public func informer<Object: KubernetesResource & InformerObject>(
        _ type: Object.Type, namespace: String? = nil, labelSelector: String = "", fieldSelector: String = "",
        indexers: [String: Indexer<Object>.IndexFunction] = [:]
    ) -> Informer<Object> {
        let path = ResourcePath(group: Object.group, version: Object.version, resource: Object.plural,
                                namespace: Object.namespaced ? namespace : nil)
        return informer(type, for: path, labelSelector: labelSelector, fieldSelector: fieldSelector, indexers: indexers)
    }
}

extension apiextensions.v1.CustomResourceDefinition: InformerObject {}
extension apps.v1.ControllerRevision: InformerObject {}
extension apps.v1.DaemonSet: InformerObject {}
extension apps.v1.Deployment: InformerObject {}
extension apps.v1.ReplicaSet: InformerObject {}
extension apps.v1.StatefulSet: InformerObject {}
extension autoscaling.v1.HorizontalPodAutoscaler: InformerObject {}
extension autoscaling.v2.HorizontalPodAutoscaler: InformerObject {}
extension batch.v1.CronJob: InformerObject {}
extension batch.v1.Job: InformerObject {}
extension coordination.v1.Lease: InformerObject {}
extension core.v1.ConfigMap: InformerObject {}
extension core.v1.Endpoints: InformerObject {}
extension core.v1.Event: InformerObject {}
extension core.v1.LimitRange: InformerObject {}
extension core.v1.Namespace: InformerObject {}
extension core.v1.Node: InformerObject {}
extension core.v1.PersistentVolume: InformerObject {}
extension core.v1.PersistentVolumeClaim: InformerObject {}
extension core.v1.Pod: InformerObject {}
extension core.v1.PodTemplate: InformerObject {}
extension core.v1.ReplicationController: InformerObject {}
extension core.v1.ResourceQuota: InformerObject {}
extension core.v1.Secret: InformerObject {}
extension core.v1.Service: InformerObject {}
extension core.v1.ServiceAccount: InformerObject {}
extension discovery.v1.EndpointSlice: InformerObject {}
extension events.v1.Event: InformerObject {}
extension networking.v1.Ingress: InformerObject {}
extension networking.v1.IngressClass: InformerObject {}
extension networking.v1.NetworkPolicy: InformerObject {}
extension policy.v1.PodDisruptionBudget: InformerObject {}
extension rbac.v1.ClusterRole: InformerObject {}
extension rbac.v1.ClusterRoleBinding: InformerObject {}
extension rbac.v1.Role: InformerObject {}
extension rbac.v1.RoleBinding: InformerObject {}
