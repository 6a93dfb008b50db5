import SkiffAPI

/// The built-in resources Skiff serves, as upstream's discovery lists them: verbs, short names,
/// categories and subresources per group-version.
enum BuiltinResources {
    static let all = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    static let statusVerbs = ["get", "patch", "update"]

    static func status(_ kind: String) -> ResourceInfo.Subresource { .init(name: "status", kind: kind, verbs: statusVerbs) }
    static func scale() -> ResourceInfo.Subresource {
        .init(name: "scale", kind: "Scale", group: "autoscaling", version: "v1", verbs: statusVerbs)
    }

    static func resource(_ group: String, _ version: String, _ resource: String, _ kind: String, namespaced: Bool = true,
                         verbs: [String] = all, short: [String] = [], categories: [String] = [],
                         subresources: [ResourceInfo.Subresource] = []) -> ResourceInfo {
        ResourceInfo(group: group, version: version, resource: resource, singular: kind.lowercased(), kind: kind, namespaced: namespaced,
                     verbs: verbs, shortNames: short, categories: categories, subresources: subresources)
    }

    /// Groups in the order `/apis` lists them.
    static let groupOrder = ["", "apiregistration.k8s.io", "apps", "events.k8s.io", "autoscaling", "batch", "networking.k8s.io", "policy",
                             "rbac.authorization.k8s.io", "apiextensions.k8s.io", "coordination.k8s.io", "discovery.k8s.io"]

    static let infos: [ResourceInfo] = core + apps + others

    static let core: [ResourceInfo] = [
        resource("", "v1", "configmaps", "ConfigMap", short: ["cm"]),
        resource("", "v1", "endpoints", "Endpoints", short: ["ep"]),
        resource("", "v1", "events", "Event", short: ["ev"]),
        resource("", "v1", "limitranges", "LimitRange", short: ["limits"]),
        resource("", "v1", "namespaces", "Namespace", namespaced: false,
                 verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], short: ["ns"],
                 subresources: [status("Namespace"), .init(name: "finalize", kind: "Namespace", verbs: ["update"])]),
        resource("", "v1", "nodes", "Node", namespaced: false, short: ["no"], subresources: [status("Node")]),
        resource("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", short: ["pvc"],
                 subresources: [status("PersistentVolumeClaim")]),
        resource("", "v1", "persistentvolumes", "PersistentVolume", namespaced: false, short: ["pv"],
                 subresources: [status("PersistentVolume")]),
        resource("", "v1", "pods", "Pod", short: ["po"], categories: ["all"],
                 subresources: [status("Pod"), .init(name: "binding", kind: "Binding", verbs: ["create"]),
                                .init(name: "eviction", kind: "Eviction", group: "policy", version: "v1", verbs: ["create"]),
                                .init(name: "log", kind: "Pod", verbs: ["get"]),
                                .init(name: "exec", kind: "PodExecOptions", verbs: ["create", "get"]),
                                .init(name: "attach", kind: "PodAttachOptions", verbs: ["create", "get"]),
                                .init(name: "portforward", kind: "PodPortForwardOptions", verbs: ["create", "get"])]),
        resource("", "v1", "podtemplates", "PodTemplate"),
        resource("", "v1", "replicationcontrollers", "ReplicationController", short: ["rc"], categories: ["all"],
                 subresources: [scale(), status("ReplicationController")]),
        resource("", "v1", "resourcequotas", "ResourceQuota", short: ["quota"], subresources: [status("ResourceQuota")]),
        resource("", "v1", "secrets", "Secret"),
        resource("", "v1", "serviceaccounts", "ServiceAccount", short: ["sa"]),
        resource("", "v1", "services", "Service", short: ["svc"], categories: ["all"], subresources: [status("Service")]),
    ]

    static let apps: [ResourceInfo] = [
        resource("apps", "v1", "controllerrevisions", "ControllerRevision"),
        resource("apps", "v1", "daemonsets", "DaemonSet", short: ["ds"], categories: ["all"], subresources: [status("DaemonSet")]),
        resource("apps", "v1", "deployments", "Deployment", short: ["deploy"], categories: ["all"],
                 subresources: [scale(), status("Deployment")]),
        resource("apps", "v1", "replicasets", "ReplicaSet", short: ["rs"], categories: ["all"],
                 subresources: [scale(), status("ReplicaSet")]),
        resource("apps", "v1", "statefulsets", "StatefulSet", short: ["sts"], categories: ["all"],
                 subresources: [scale(), status("StatefulSet")]),
    ]

    /// Versions served from another version's storage (upstream's shared storage): the resource, the
    /// group whose resource of the same name stores it, and the converter between the two.
    static let convertedVersions: [(info: ResourceInfo, storageGroup: String, converter: any VersionConverter)] = [
        (resource("events.k8s.io", "v1", "events", "Event", short: ["ev"]), "", EventsV1Converter()),
        (resource("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", short: ["hpa"], categories: ["all"],
                  subresources: [status("HorizontalPodAutoscaler")]),
         "autoscaling", HorizontalPodAutoscalerV1Converter()),
    ]

    static let others: [ResourceInfo] = [
        resource("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", short: ["hpa"], categories: ["all"],
                 subresources: [status("HorizontalPodAutoscaler")]),
        resource("batch", "v1", "cronjobs", "CronJob", short: ["cj"], categories: ["all"], subresources: [status("CronJob")]),
        resource("batch", "v1", "jobs", "Job", categories: ["all"], subresources: [status("Job")]),
        resource("networking.k8s.io", "v1", "ingressclasses", "IngressClass", namespaced: false),
        resource("networking.k8s.io", "v1", "ingresses", "Ingress", short: ["ing"], subresources: [status("Ingress")]),
        resource("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", short: ["netpol"]),
        resource("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", short: ["pdb"],
                 subresources: [status("PodDisruptionBudget")]),
        resource("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", namespaced: false),
        resource("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced: false),
        resource("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
        resource("rbac.authorization.k8s.io", "v1", "roles", "Role"),
        resource("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", namespaced: false,
                 short: ["crd", "crds"], categories: ["api-extensions"], subresources: [status("CustomResourceDefinition")]),
        resource("coordination.k8s.io", "v1", "leases", "Lease"),
        resource("apiregistration.k8s.io", "v1", "apiservices", "APIService", namespaced: false, categories: ["api-extensions"],
                 subresources: [status("APIService")]),
        resource("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"),
    ]
}
