public import Foundation

/// `metav1.Condition` lists as apimachinery's `meta.SetStatusCondition` keeps them: the transition time
/// moves only when the status changes; reason, message and observedGeneration are always the latest.
public enum StatusConditions {
    /// Sets (or appends) the condition of `type`; returns whether anything changed.
    @discardableResult
    public static func set(_ conditions: inout [JSONValue], type: String, status: String, reason: String,
                           message: String, observedGeneration: Int64, now: Date) -> Bool {
        let time = JSONValue.string(meta.v1.Time(now).rfc3339)
        guard let index = conditions.firstIndex(where: { $0["type"]?.stringValue == type }) else {
            var condition: JSONValue = ["type": .string(type), "status": .string(status)]
            if observedGeneration != 0 { condition["observedGeneration"] = .int(observedGeneration) }
            condition["lastTransitionTime"] = time
            condition["reason"] = .string(reason)
            condition["message"] = .string(message)
            conditions.append(condition)
            return true
        }
        var condition = conditions[index]
        if condition["status"]?.stringValue != status {
            condition["status"] = .string(status)
            condition["lastTransitionTime"] = time
        }
        condition["reason"] = .string(reason)
        condition["message"] = .string(message)
        condition["observedGeneration"] = observedGeneration == 0 ? nil : .int(observedGeneration)
        let changed = condition != conditions[index]
        conditions[index] = condition
        return changed
    }

    /// The condition of `type`, if present.
    public static func find(_ conditions: [JSONValue], type: String) -> JSONValue? {
        conditions.first { $0["type"]?.stringValue == type }
    }
}

/// The `DisruptionAllowed` condition of a `policy/v1` PodDisruptionBudget (upstream's
/// `component-helpers/apps/poddisruptionbudget`), shared by the disruption controller and eviction.
public enum DisruptionBudgetConditions {
    public static let type = "DisruptionAllowed"
    public static let sufficientPods = "SufficientPods"
    public static let insufficientPods = "InsufficientPods"
    public static let syncFailed = "SyncFailed"

    /// Sets `DisruptionAllowed` from `status.disruptionsAllowed` (`UpdateDisruptionAllowedCondition`).
    public static func update(_ pdb: inout JSONValue, now: Date) {
        let status = pdb["status"] ?? [:]
        var conditions = status["conditions"]?.arrayValue ?? []
        let observed = status["observedGeneration"]?.intValue ?? 0
        if (status["disruptionsAllowed"]?.intValue ?? 0) > 0 {
            StatusConditions.set(&conditions, type: type, status: "True", reason: sufficientPods, message: "",
                                 observedGeneration: observed, now: now)
        } else {
            StatusConditions.set(&conditions, type: type, status: "False", reason: insufficientPods, message: "",
                                 observedGeneration: observed, now: now)
        }
        pdb.setValue(.array(conditions), at: ["status", "conditions"])
    }

    /// Whether the condition matches `disruptionsAllowed` and the status the current generation
    /// (`ConditionsAreUpToDate`).
    public static func upToDate(_ pdb: JSONValue) -> Bool {
        let status = pdb["status"]
        guard let condition = StatusConditions.find(status?["conditions"]?.arrayValue ?? [], type: type),
              (status?["observedGeneration"]?.intValue ?? 0) == (pdb["metadata"]?["generation"]?.intValue ?? 0)
        else { return false }
        if (status?["disruptionsAllowed"]?.intValue ?? 0) > 0 {
            return condition["status"]?.stringValue == "True" && condition["reason"]?.stringValue == sufficientPods
        }
        return condition["status"]?.stringValue == "False" && condition["reason"]?.stringValue == insufficientPods
    }
}
