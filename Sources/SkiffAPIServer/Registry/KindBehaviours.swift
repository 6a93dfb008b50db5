import SkiffAPI

/// How each built-in resource behaves beyond the generic REST code: its strategy and the fields its
/// field selectors may use (upstream's `GetAttrs`/`SelectableFields` per registry).
enum KindBehaviours {
    static func strategy(group: String, resource: String, services: ServiceAllocator) -> any ResourceStrategy {
        switch (group, resource) {
        case ("", "pods"): return PodStrategy()
        case ("", "services"): return ServiceStrategy(allocator: services)
        case ("", "namespaces"): return NamespaceStrategy()
        case ("apps", "deployments"):
            return DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true, defaults: WorkloadDefaults.deployment)
        case ("apps", "replicasets"):
            return DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true, defaults: WorkloadDefaults.replicaSet)
        case ("apps", "statefulsets"):
            return DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true, defaults: WorkloadDefaults.statefulSet)
        case ("apps", "daemonsets"):
            return DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true, defaults: WorkloadDefaults.daemonSet)
        case ("", "replicationcontrollers"):
            return DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true, defaults: WorkloadDefaults.replicationController)
        case ("batch", "jobs"):
            return JobStrategy()
        case ("batch", "cronjobs"):
            return DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true, defaults: WorkloadDefaults.cronJob)
        case ("", "podtemplates"):
            return DefaultingStrategy(defaults: { PodDefaults.applyToTemplate(&$0, at: ["template"]) })
        case ("", "secrets"):
            return SecretStrategy()
        case ("", "nodes"), ("", "persistentvolumes"), ("", "persistentvolumeclaims"), ("", "resourcequotas"),
             ("autoscaling", "horizontalpodautoscalers"), ("policy", "poddisruptionbudgets"),
             ("networking.k8s.io", "ingresses"), ("apiextensions.k8s.io", "customresourcedefinitions"),
             ("apiregistration.k8s.io", "apiservices"):
            return DefaultingStrategy(tracksGeneration: resource != "nodes" && resource != "resourcequotas", hasStatusSubresource: true)
        case ("", "events"), ("coordination.k8s.io", "leases"):
            return DefaultingStrategy(allowCreateOnUpdate: false)
        default:
            return GenericStrategy()
        }
    }

    /// Field-selector fields beyond metadata.name and metadata.namespace.
    static func fields(group: String, resource: String) -> ResourceFields {
        switch (group, resource) {
        case ("", "pods"):
            return ResourceFields(paths: ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                                          "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"])
        case ("", "events"):
            return ResourceFields(paths: ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                                          "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                                          "involvedObject.fieldPath", "reason", "reportingComponent", "type"],
                                  computed: ["source"], compute: { event in
                                      // Upstream's ToSelectableFields: the reporting controller when no source component.
                                      let component = event["source"]?["component"]?.stringValue ?? ""
                                      return ["source": component.isEmpty ? (event["reportingComponent"]?.stringValue ?? "") : component]
                                  })
        case ("", "namespaces"):
            return ResourceFields(paths: ["status.phase"])
        case ("", "nodes"):
            return ResourceFields(computed: ["spec.unschedulable"], compute: { ["spec.unschedulable": $0["spec"]?["unschedulable"]?.boolValue == true ? "true" : "false"] })
        case ("", "secrets"):
            return ResourceFields(paths: ["type"])
        case ("", "replicationcontrollers"), ("apps", "replicasets"):
            return ResourceFields(computed: ["status.replicas"], compute: { ["status.replicas": String($0["status"]?["replicas"]?.intValue ?? 0)] })
        case ("batch", "jobs"):
            return ResourceFields(computed: ["status.successful"], compute: { ["status.successful": String($0["status"]?["succeeded"]?.intValue ?? 0)] })
        case ("certificates.k8s.io", "certificatesigningrequests"):
            return ResourceFields(paths: ["spec.signerName"])
        default:
            return ResourceFields()
        }
    }
}

/// Jobs: defaults, and the selector and labels generated from the job's uid.
struct JobStrategy: ResourceStrategy {
    var tracksGeneration: Bool { true }
    var hasStatusSubresource: Bool { true }

    func prepareForCreate(_ object: inout JSONValue, context: StrategyContext) {
        object["status"] = nil
        WorkloadDefaults.jobSelector(&object)
        WorkloadDefaults.job(&object)
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue, context: StrategyContext) {
        object["status"] = old["status"]
        WorkloadDefaults.job(&object)
    }
}
