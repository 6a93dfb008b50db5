import Foundation
import SkiffAPI

/// ReplicaSets (upstream's `pkg/registry/apps/replicaset`).
enum ReplicaSetKind {
    static let definition = KindDefinition(group: "apps", resource: "replicasets") {
        $0.strategy = { _ in DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true, defaults: applyDefaults) }
        $0.fields = ResourceFields(computed: ["status.replicas"], compute: { ["status.replicas": String($0["status"]?["replicas"]?.intValue ?? 0)] })
        $0.table = table
        $0.validate = validate
        $0.validateUpdateOnly = { ImmutabilityValidation.selectorUnchanged($0, old: $1) }
    }

    static func applyDefaults(_ object: inout JSONValue) {
        object.setDefault(1, at: ["spec", "replicas"])
        PodDefaults.applyToTemplate(&object)
    }

    /// `ValidateReplicaSetSpec`.
    static func validate(_ object: JSONValue) -> [FieldProblem] {
        let spec = object["spec"] ?? [:]
        return WorkloadValidation.replicas(spec) + WorkloadValidation.selectorMatchesTemplate(spec) + WorkloadValidation.alwaysRestart(spec)
            + WorkloadValidation.template(spec)
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Desired", "integer"), P.column("Current", "integer"), P.column("Ready", "integer"), P.ageColumn,
                  P.column("Containers", wide: true), P.column("Images", wide: true), P.column("Selector", wide: true)],
        row: { object, now in
            let status = object["status"] ?? [:]
            let (names, images) = P.containers(object["spec"]?["template"]?["spec"])
            return [P.name(object), P.int(object["spec"]?["replicas"]), P.int(status["replicas"]), P.int(status["readyReplicas"]),
                    P.age(object, now), names, images, P.selector(object["spec"]?["selector"])]
        })
}
