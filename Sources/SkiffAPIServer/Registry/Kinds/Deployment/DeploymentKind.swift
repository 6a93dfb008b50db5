import Foundation
import SkiffAPI

/// Deployments (upstream's `pkg/registry/apps/deployment`): defaults, validation, the immutable
/// selector and the `kubectl get deployments` table.
enum DeploymentKind {
    static let definition = KindDefinition(group: "apps", resource: "deployments") {
        $0.strategy = { _ in DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true, defaults: applyDefaults) }
        $0.table = table
        $0.validate = validate
        $0.validateUpdateOnly = { ImmutabilityValidation.selectorUnchanged($0, old: $1) }
    }

    /// apps/v1 `SetDefaults_Deployment`.
    static func applyDefaults(_ object: inout JSONValue) {
        var spec = object["spec"] ?? [:]
        spec.setDefault(1, at: ["replicas"])
        if spec["strategy"]?["type"] == nil { spec.setValue("RollingUpdate", at: ["strategy", "type"]) }
        if spec["strategy"]?["type"]?.stringValue == "RollingUpdate" {
            spec.setDefault("25%", at: ["strategy", "rollingUpdate", "maxUnavailable"])
            spec.setDefault("25%", at: ["strategy", "rollingUpdate", "maxSurge"])
        }
        spec.setDefault(10, at: ["revisionHistoryLimit"])
        spec.setDefault(600, at: ["progressDeadlineSeconds"])
        object["spec"] = spec
        PodDefaults.applyToTemplate(&object)
    }

    /// `ValidateDeploymentSpec`.
    static func validate(_ object: JSONValue) -> [FieldProblem] {
        let spec = object["spec"] ?? [:]
        var problems = WorkloadValidation.replicas(spec) + WorkloadValidation.selectorMatchesTemplate(spec)
            + WorkloadValidation.alwaysRestart(spec)
        if let strategy = spec["strategy"]?["type"]?.stringValue, !["Recreate", "RollingUpdate"].contains(strategy) {
            problems.append(.notSupported("spec.strategy.type", .string(strategy), ["Recreate", "RollingUpdate"]))
        }
        if spec["strategy"]?["type"]?.stringValue == "Recreate", spec["strategy"]?["rollingUpdate"] != nil {
            problems.append(.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"))
        }
        return problems + WorkloadValidation.template(spec)
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Ready"), P.column("Up-to-date", "integer"), P.column("Available", "integer"), P.ageColumn,
                  P.column("Containers", wide: true), P.column("Images", wide: true), P.column("Selector", wide: true)],
        row: { object, now in
            let status = object["status"] ?? [:]
            let (names, images) = P.containers(object["spec"]?["template"]?["spec"])
            return [P.name(object), .string("\(status["readyReplicas"]?.intValue ?? 0)/\(object["spec"]?["replicas"]?.intValue ?? 0)"),
                    P.int(status["updatedReplicas"]), P.int(status["availableReplicas"]), P.age(object, now), names, images,
                    P.selector(object["spec"]?["selector"])]
        })
}
