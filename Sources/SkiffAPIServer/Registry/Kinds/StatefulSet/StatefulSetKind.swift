import Foundation
import SkiffAPI

/// StatefulSets (upstream's `pkg/registry/apps/statefulset`): only replicas, ordinals, template,
/// update strategy, PVC retention and minReadySeconds may change.
enum StatefulSetKind {
    static let definition = KindDefinition(group: "apps", resource: "statefulsets") {
        $0.strategy = { _ in DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true, defaults: applyDefaults) }
        $0.table = table
        $0.validate = validate
        $0.validateUpdateOnly = validateUpdate
    }

    static func applyDefaults(_ object: inout JSONValue) {
        var spec = object["spec"] ?? [:]
        spec.setDefault(1, at: ["replicas"])
        spec.setDefault("OrderedReady", at: ["podManagementPolicy"])
        if spec["updateStrategy"]?["type"] == nil { spec.setValue("RollingUpdate", at: ["updateStrategy", "type"]) }
        if spec["updateStrategy"]?["type"]?.stringValue == "RollingUpdate" {
            spec.setDefault(0, at: ["updateStrategy", "rollingUpdate", "partition"])
        }
        spec.setDefault(10, at: ["revisionHistoryLimit"])
        spec.setDefault(["whenDeleted": "Retain", "whenScaled": "Retain"], at: ["persistentVolumeClaimRetentionPolicy"])
        object["spec"] = spec
        PodDefaults.applyToTemplate(&object)
    }

    /// `ValidateStatefulSetSpec`.
    static func validate(_ object: JSONValue) -> [FieldProblem] {
        let spec = object["spec"] ?? [:]
        var problems = WorkloadValidation.replicas(spec) + WorkloadValidation.selectorMatchesTemplate(spec)
        if let serviceName = spec["serviceName"]?.stringValue, !serviceName.isEmpty {
            problems += FieldProblem.each("spec.serviceName", serviceName, NameValidation.dns1123Label)
        }
        return problems + WorkloadValidation.template(spec)
    }

    /// `ValidateStatefulSetUpdate`.
    static func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldProblem] {
        var problems = ImmutabilityValidation.selectorUnchanged(object, old: old)
        var mutable = object["spec"] ?? [:], oldMutable = old["spec"] ?? [:]
        for field in ["replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                      "minReadySeconds", "selector"] {
            mutable[field] = nil
            oldMutable[field] = nil
        }
        if mutable != oldMutable {
            problems.append(.forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"))
        }
        return problems
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Ready"), P.ageColumn, P.column("Containers", wide: true), P.column("Images", wide: true)],
        row: { object, now in
            let (names, images) = P.containers(object["spec"]?["template"]?["spec"])
            return [P.name(object), .string("\(object["status"]?["readyReplicas"]?.intValue ?? 0)/\(object["spec"]?["replicas"]?.intValue ?? 0)"),
                    P.age(object, now), names, images]
        })
}
