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

extension StatusConditions {
    /// The typed form of `set(_:type:…)` for `[meta.v1.Condition]`; returns whether anything changed.
    @discardableResult
    public static func set(_ conditions: inout [meta.v1.Condition], type: String, status: String, reason: String,
                           message: String, observedGeneration: Int64, now: Date) -> Bool {
        let generation = observedGeneration == 0 ? nil : observedGeneration
        guard let index = conditions.firstIndex(where: { $0.type == type }) else {
            conditions.append(meta.v1.Condition(lastTransitionTime: meta.v1.Time(now), message: message,
                                                observedGeneration: generation, reason: reason, status: status, type: type))
            return true
        }
        var condition = conditions[index]
        if condition.status != status {
            condition.status = status
            condition.lastTransitionTime = meta.v1.Time(now)
        }
        condition.reason = reason
        condition.message = message
        condition.observedGeneration = generation
        let changed = condition != conditions[index]
        conditions[index] = condition
        return changed
    }
}

extension DisruptionBudgetConditions {
    /// The typed form of `update(_:now:)`.
    public static func update(_ pdb: inout policy.v1.PodDisruptionBudget, now: Date) {
        guard var status = pdb.status else { return }
        var conditions = status.conditions ?? []
        let observed = status.observedGeneration ?? 0
        if status.disruptionsAllowed > 0 {
            StatusConditions.set(&conditions, type: type, status: "True", reason: sufficientPods, message: "",
                                 observedGeneration: observed, now: now)
        } else {
            StatusConditions.set(&conditions, type: type, status: "False", reason: insufficientPods, message: "",
                                 observedGeneration: observed, now: now)
        }
        status.conditions = conditions
        pdb.status = status
    }

    /// The typed form of `upToDate(_:)`.
    public static func upToDate(_ pdb: policy.v1.PodDisruptionBudget) -> Bool {
        guard let status = pdb.status, let condition = status.conditions?.first(where: { $0.type == type }),
              (status.observedGeneration ?? 0) == (pdb.metadata?.generation ?? 0)
        else { return false }
        if status.disruptionsAllowed > 0 {
            return condition.status == "True" && condition.reason == sufficientPods
        }
        return condition.status == "False" && condition.reason == insufficientPods
    }
}
