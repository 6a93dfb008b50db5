import Foundation
import SkiffAPI

/// Pods (upstream's `pkg/registry/core/pod`): the pod strategy, selectable fields for the kubelet and
/// scheduler, the `kubectl get pods` table, and pod spec validation.
enum PodKind {
    static let definition = KindDefinition(group: "", resource: "pods") {
        $0.strategy = { _ in PodStrategy() }
        $0.fields = ResourceFields(paths: ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                                           "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"])
        $0.table = table
        $0.validate = { PodSpecValidation.validate($0["spec"], at: "spec") }
        $0.validateUpdateOnly = { PodSpecValidation.validateUpdate($0["spec"], old: $1["spec"]) }
    }
}
