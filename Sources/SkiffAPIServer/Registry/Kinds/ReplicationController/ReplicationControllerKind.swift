import Foundation
import SkiffAPI

/// ReplicationControllers (upstream's `pkg/registry/core/replicationcontroller`): a map selector
/// defaulted from the template's labels.
enum ReplicationControllerKind {
    static let definition = KindDefinition(group: "", resource: "replicationcontrollers") {
        $0.strategy = { _ in DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true, defaults: applyDefaults) }
        $0.fields = ReplicaSetKind.definition.fields
        $0.table = ReplicaSetKind.table
        $0.validate = validate
    }

    static func applyDefaults(_ object: inout JSONValue) {
        object.setDefault(1, at: ["spec", "replicas"])
        // An RC without a selector selects its template's labels, and labels itself with them.
        if object["spec"]?["selector"] == nil, let labels = object["spec"]?["template"]?["metadata"]?["labels"] {
            object.setValue(labels, at: ["spec", "selector"])
        }
        if object["metadata"]?["labels"] == nil, let labels = object["spec"]?["template"]?["metadata"]?["labels"] {
            object.setValue(labels, at: ["metadata", "labels"])
        }
        PodDefaults.applyToTemplate(&object)
    }

    /// `ValidateReplicationControllerSpec`.
    static func validate(_ object: JSONValue) -> [FieldProblem] {
        let spec = object["spec"] ?? [:]
        var problems = WorkloadValidation.replicas(spec)
        let selector = spec["selector"]?.objectValue ?? [:]
        if selector.isEmpty { problems.append(.required("spec.selector")) }
        let labels = spec["template"]?["metadata"]?["labels"]?.objectValue ?? [:]
        if !selector.isEmpty, !selector.allSatisfy({ labels[$0.key] == $0.value }) {
            problems.append(.invalid("spec.template.metadata.labels", spec["template"]?["metadata"]?["labels"],
                                     "`selector` does not match template `labels`"))
        }
        return problems + WorkloadValidation.alwaysRestart(spec) + WorkloadValidation.template(spec)
    }
}
