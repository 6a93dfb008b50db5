import Foundation
import SkiffAPI

/// DaemonSets (upstream's `pkg/registry/apps/daemonset`).
enum DaemonSetKind {
    static let definition = KindDefinition(group: "apps", resource: "daemonsets") {
        $0.strategy = { _ in DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true, defaults: applyDefaults) }
        $0.table = table
        $0.validate = validate
        $0.validateUpdateOnly = { ImmutabilityValidation.selectorUnchanged($0, old: $1) }
    }

    static func applyDefaults(_ object: inout JSONValue) {
        var spec = object["spec"] ?? [:]
        if spec["updateStrategy"]?["type"] == nil { spec.setValue("RollingUpdate", at: ["updateStrategy", "type"]) }
        if spec["updateStrategy"]?["type"]?.stringValue == "RollingUpdate" {
            spec.setDefault(1, at: ["updateStrategy", "rollingUpdate", "maxUnavailable"])
            spec.setDefault(0, at: ["updateStrategy", "rollingUpdate", "maxSurge"])
        }
        spec.setDefault(10, at: ["revisionHistoryLimit"])
        object["spec"] = spec
        PodDefaults.applyToTemplate(&object)
    }

    /// `ValidateDaemonSetSpec`.
    static func validate(_ object: JSONValue) -> [FieldProblem] {
        let spec = object["spec"] ?? [:]
        return WorkloadValidation.selectorMatchesTemplate(spec) + WorkloadValidation.alwaysRestart(spec) + WorkloadValidation.template(spec)
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Desired", "integer"), P.column("Current", "integer"), P.column("Ready", "integer"),
                  P.column("Up-to-date", "integer"), P.column("Available", "integer"), P.column("Node Selector"), P.ageColumn,
                  P.column("Containers", wide: true), P.column("Images", wide: true), P.column("Selector", wide: true)],
        row: { object, now in
            let status = object["status"] ?? [:]
            let (names, images) = P.containers(object["spec"]?["template"]?["spec"])
            let nodeSelector = (object["spec"]?["template"]?["spec"]?["nodeSelector"]?.objectValue ?? [:])
                .map { "\($0.key)=\($0.value.stringValue ?? "")" }.sorted()
            return [P.name(object), P.int(status["desiredNumberScheduled"]), P.int(status["currentNumberScheduled"]),
                    P.int(status["numberReady"]), P.int(status["updatedNumberScheduled"]), P.int(status["numberAvailable"]),
                    P.orNone(nodeSelector), P.age(object, now), names, images, P.selector(object["spec"]?["selector"])]
        })
}
