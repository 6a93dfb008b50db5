import SkiffAPI

/// The definitions of the built-in kinds, one per `Registry/Kinds/<Kind>/` folder; a resource without
/// one gets the generic behaviour (metadata checks, name and age columns).
enum BuiltinKinds {
    static let definitions: [KindDefinition] = [
        PodKind.definition, PodTemplateKind.definition, ServiceKind.definition, NamespaceKind.definition,
        ConfigMapKind.definition, SecretKind.definition, ServiceAccountKind.definition, NodeKind.definition,
        EventKind.definition, EndpointsKind.definition, EndpointSliceKind.definition, LeaseKind.definition,
        PersistentVolumeKind.definition, PersistentVolumeClaimKind.definition, ResourceQuotaKind.definition,
        DeploymentKind.definition, ReplicaSetKind.definition, ReplicationControllerKind.definition,
        StatefulSetKind.definition, DaemonSetKind.definition, ControllerRevisionKind.definition,
        JobKind.definition, CronJobKind.definition, HorizontalPodAutoscalerKind.definition,
        PodDisruptionBudgetKind.definition, IngressKind.definition, CustomResourceDefinitionKind.definition,
        APIServiceKind.definition,
    ] + RBACKinds.definitions

    static let byResource: [String: KindDefinition] = Dictionary(
        definitions.map { ("\($0.group)/\($0.resource)", $0) }, uniquingKeysWith: { first, _ in first })

    /// The definition of a built-in resource, or the generic one.
    static func definition(group: String, resource: String) -> KindDefinition {
        byResource["\(group)/\(resource)"] ?? KindDefinition(group: group, resource: resource)
    }
}
