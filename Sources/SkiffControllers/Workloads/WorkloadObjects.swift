import Foundation
import SkiffAPI
import SkiffClient

/// Well-known labels and annotations (upstream's `apps/v1` constants).
public enum WorkloadAnnotations {
    public static let podTemplateHash = "pod-template-hash"
    public static let revision = "deployment.kubernetes.io/revision"
    public static let revisionHistory = "deployment.kubernetes.io/revision-history"
    public static let desiredReplicas = "deployment.kubernetes.io/desired-replicas"
    public static let maxReplicas = "deployment.kubernetes.io/max-replicas"
}

extension apps.v1.ReplicaSet {
    /// `spec.replicas` (1 when absent, upstream's default).
    var specReplicas: Int { Int(spec?.replicas ?? 1) }
    var minReadySeconds: Int { Int(spec?.minReadySeconds ?? 0) }
    /// `spec.selector`; an invalid one selects nothing.
    var selector: LabelSelector { LabelSelector.orNothing(spec?.selector) }
    var statusReplicas: Int { Int(status?.replicas ?? 0) }
    var availableReplicas: Int { Int(status?.availableReplicas ?? 0) }
    var readyReplicas: Int { Int(status?.readyReplicas ?? 0) }
    var observedGeneration: Int64 { status?.observedGeneration ?? 0 }
}

extension apps.v1.Deployment {
    /// `spec.replicas` (1 when absent, upstream's default).
    var specReplicas: Int { Int(spec?.replicas ?? 1) }
    var minReadySeconds: Int { Int(spec?.minReadySeconds ?? 0) }
    /// `spec.selector`; an invalid one selects nothing.
    var selector: LabelSelector { LabelSelector.orNothing(spec?.selector) }
    var isPaused: Bool { spec?.paused == true }
    var isRecreate: Bool { spec?.strategy?.type == "Recreate" }
}

extension Patch {
    /// A merge patch setting `object`'s owner references, preconditioned on the uid and resourceVersion
    /// they were computed from: an object changed meanwhile makes it a conflict, never an overwrite. No
    /// references left removes the field (null), as upstream's omitempty does.
    static func ownerReferences(of object: some KubernetesObject, to references: [meta.v1.OwnerReference]) -> Patch {
        .merge(["metadata": ["uid": .string(object.uid), "resourceVersion": .string(object.metadata?.resourceVersion ?? ""),
                             "ownerReferences": references.isEmpty ? .null : .array(references.map(\.json))]])
    }
}
