import Foundation
import SkiffAPI

/// CronJobs (upstream's `pkg/registry/batch/cronjob`).
enum CronJobKind {
    static let definition = KindDefinition(group: "batch", resource: "cronjobs") {
        $0.strategy = { _ in DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true, defaults: applyDefaults) }
        $0.table = table
        $0.validate = validate
    }

    /// batch/v1 `SetDefaults_CronJob`, and the Job defaults for its template.
    static func applyDefaults(_ object: inout JSONValue) {
        var spec = object["spec"] ?? [:]
        spec.setDefault("Allow", at: ["concurrencyPolicy"])
        spec.setDefault(false, at: ["suspend"])
        spec.setDefault(3, at: ["successfulJobsHistoryLimit"])
        spec.setDefault(1, at: ["failedJobsHistoryLimit"])
        object["spec"] = spec
        if var jobSpec = object["spec"]?["jobTemplate"]?["spec"] {
            var wrapper: JSONValue = ["spec": jobSpec]
            JobKind.applyDefaults(&wrapper)
            jobSpec = wrapper["spec"] ?? jobSpec
            object.setValue(jobSpec, at: ["spec", "jobTemplate", "spec"])
        }
    }

    /// `ValidateCronJobSpec`.
    static func validate(_ object: JSONValue) -> [FieldProblem] {
        let spec = object["spec"] ?? [:]
        var problems: [FieldProblem] = []
        let schedule = spec["schedule"]?.stringValue ?? ""
        if schedule.isEmpty {
            problems.append(.required("spec.schedule"))
        } else if !schedule.hasPrefix("@") && schedule.split(separator: " ", omittingEmptySubsequences: true).count != 5 {
            problems.append(.invalid("spec.schedule", .string(schedule), "unparseable schedule: expected exactly 5 fields"))
        }
        if let policy = spec["concurrencyPolicy"]?.stringValue, !["Allow", "Forbid", "Replace"].contains(policy) {
            problems.append(.notSupported("spec.concurrencyPolicy", .string(policy), ["Allow", "Forbid", "Replace"]))
        }
        let template = spec["jobTemplate"]?["spec"]?["template"]?["spec"]
        problems += PodSpecValidation.validate(template, at: "spec.jobTemplate.spec.template.spec")
        return problems
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Schedule"), P.column("Timezone"), P.column("Suspend", "boolean"), P.column("Active", "integer"),
                  P.column("Last Schedule"), P.ageColumn, P.column("Containers", wide: true), P.column("Images", wide: true),
                  P.column("Selector", wide: true)],
        row: { object, now in
            let spec = object["spec"] ?? [:]
            let status = object["status"] ?? [:]
            let last = status["lastScheduleTime"]?.stringValue.map { Age.since($0, now: now) } ?? "<none>"
            let (names, images) = P.containers(spec["jobTemplate"]?["spec"]?["template"]?["spec"])
            return [P.name(object), .string(spec["schedule"]?.stringValue ?? ""), .string(P.nonEmpty(spec["timeZone"]?.stringValue)),
                    .bool(spec["suspend"]?.boolValue ?? false), .int(Int64(status["active"]?.arrayValue?.count ?? 0)), .string(last),
                    P.age(object, now), names, images, P.selector(spec["jobTemplate"]?["spec"]?["selector"])]
        })
}
