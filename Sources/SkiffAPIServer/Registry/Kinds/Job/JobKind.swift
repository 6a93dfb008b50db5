import Foundation
import SkiffAPI

/// Jobs (upstream's `pkg/registry/batch/job`): defaults, the selector and labels generated from the
/// job's uid, what may change after creation, and the `kubectl get jobs` table.
enum JobKind {
    static let definition = KindDefinition(group: "batch", resource: "jobs") {
        $0.strategy = { _ in JobStrategy() }
        $0.fields = ResourceFields(computed: ["status.successful"], compute: { ["status.successful": String($0["status"]?["succeeded"]?.intValue ?? 0)] })
        $0.table = table
        $0.validate = validate
        $0.validateUpdateOnly = validateUpdate
    }

    /// batch/v1 `SetDefaults_Job`.
    static func applyDefaults(_ object: inout JSONValue) {
        var spec = object["spec"] ?? [:]
        let completionMode = spec["completionMode"]?.stringValue ?? "NonIndexed"
        spec.setDefault(.string(completionMode), at: ["completionMode"])
        if spec["completions"] == nil && spec["parallelism"] == nil {
            spec["completions"] = 1
            spec["parallelism"] = 1
        }
        spec.setDefault(1, at: ["parallelism"])
        spec.setDefault(completionMode == "Indexed" && spec["backoffLimitPerIndex"] != nil ? .int(Int64(Int32.max)) : 6, at: ["backoffLimit"])
        spec.setDefault(false, at: ["suspend"])
        if spec["podFailurePolicy"] == nil { spec.setDefault("TerminatingOrFailed", at: ["podReplacementPolicy"]) }
        object["spec"] = spec
        PodDefaults.applyToTemplate(&object)
    }

    /// The selector and labels a Job gets on create unless `manualSelector` (upstream's `generateSelector`).
    static func generateSelector(_ object: inout JSONValue) {
        guard object["spec"]?["manualSelector"]?.boolValue != true else { return }
        let uid = object["metadata"]?["uid"]?.stringValue ?? ""
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        for (key, value) in [("batch.kubernetes.io/controller-uid", uid), ("batch.kubernetes.io/job-name", name),
                             ("controller-uid", uid), ("job-name", name)] {
            object.setDefault(.string(value), at: ["spec", "template", "metadata", "labels", key])
        }
        object.setDefault(.string(uid), at: ["spec", "selector", "matchLabels", "batch.kubernetes.io/controller-uid"])
    }

    /// `ValidateJobSpec`.
    static func validate(_ object: JSONValue) -> [FieldProblem] {
        let spec = object["spec"] ?? [:]
        var problems: [FieldProblem] = []
        for field in ["parallelism", "completions", "backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"] {
            if let value = spec[field]?.intValue, value < 0 {
                problems.append(.invalid("spec.\(field)", .int(value), "must be greater than or equal to 0"))
            }
        }
        if let policy = spec["template"]?["spec"]?["restartPolicy"]?.stringValue, policy != "OnFailure" && policy != "Never" {
            problems.append(.notSupported("spec.template.spec.restartPolicy", .string(policy), ["OnFailure", "Never"]))
        }
        return problems + WorkloadValidation.template(spec)
    }

    /// `ValidateJobUpdate`.
    static func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldProblem] {
        let spec = object["spec"] ?? [:], oldSpec = old["spec"] ?? [:]
        var problems = ImmutabilityValidation.selectorUnchanged(object, old: old)
        let indexed = spec["completionMode"]?.stringValue == "Indexed"
        if !indexed, spec["completions"] != oldSpec["completions"] {
            problems.append(.invalid("spec.completions", spec["completions"], "field is immutable"))
        }
        for field in ["completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy", "successPolicy"]
        where spec[field] != oldSpec[field] {
            problems.append(.invalid("spec.\(field)", spec[field], "field is immutable"))
        }
        // A suspended Job that never ran may still be given other scheduling directives (upstream's
        // AllowMutableSchedulingDirectives); otherwise its template is fixed.
        let neverStarted = oldSpec["suspend"]?.boolValue == true && old["status"]?["startTime"] == nil
        if !neverStarted, spec["template"] != oldSpec["template"] {
            problems.append(ImmutabilityValidation.raw("spec.template", "core.PodTemplateSpec\(spec["template"]?.jsonString ?? "{}")",
                                                       "field is immutable"))
        }
        return problems
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Status"), P.column("Completions"), P.column("Duration"), P.ageColumn,
                  P.column("Containers", wide: true), P.column("Images", wide: true), P.column("Selector", wide: true)],
        row: { object, now in
            let status = object["status"] ?? [:]
            let spec = object["spec"] ?? [:]
            let succeeded = status["succeeded"]?.intValue ?? 0
            let completions: String
            if let wanted = spec["completions"]?.intValue {
                completions = "\(succeeded)/\(wanted)"
            } else {
                let parallelism = spec["parallelism"]?.intValue ?? 0
                completions = parallelism > 1 ? "\(succeeded)/1 of \(parallelism)" : "\(succeeded)/1"
            }
            var duration = ""
            if let start = status["startTime"]?.stringValue.flatMap(Age.parseTimestamp) {
                let end = status["completionTime"]?.stringValue.flatMap(Age.parseTimestamp) ?? now
                duration = Age.humanDuration(end.timeIntervalSince(start))
            }
            let (names, images) = P.containers(spec["template"]?["spec"])
            return [P.name(object), .string(jobStatus(object)), .string(completions), .string(duration), P.age(object, now), names, images,
                    P.selector(spec["selector"])]
        })

    static func jobStatus(_ job: JSONValue) -> String {
        let conditions = job["status"]?["conditions"]?.arrayValue ?? []
        func has(_ type: String) -> Bool { conditions.contains { $0["type"]?.stringValue == type && $0["status"]?.stringValue == "True" } }
        if has("Complete") { return "Complete" }
        if has("Failed") { return "Failed" }
        if job["metadata"]?["deletionTimestamp"] != nil { return "Terminating" }
        if has("SuccessCriteriaMet") { return "SuccessCriteriaMet" }
        if has("FailureTarget") { return "FailureTarget" }
        if job["spec"]?["suspend"]?.boolValue == true { return "Suspended" }
        return "Running"
    }
}
