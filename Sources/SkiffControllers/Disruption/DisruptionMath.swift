import Foundation
import SkiffAPI
import SkiffClient

/// A PodDisruptionBudget that cannot be computed; its message becomes the `SyncFailed` condition's.
struct DisruptionSyncError: Error, CustomStringConvertible {
    var description: String
}

/// The arithmetic of upstream's `pkg/controller/disruption`, over the JSON objects informers hold.
enum DisruptionMath {
    /// How long an eviction's `disruptedPods` entry waits for the pod's deletion to be seen
    /// (upstream's `DeletionTimeout`).
    static let deletionTimeout: TimeInterval = 120

    /// `intstr.GetScaledValueFromIntOrPercent(value, total, roundUp: true)`.
    static func scaledValue(_ value: JSONValue, total: Int) throws -> Int {
        if let int = value.intValue { return Int(int) }
        guard let text = value.stringValue else { throw DisruptionSyncError(description: "invalid type: neither int nor percentage") }
        guard text.hasSuffix("%") else { throw DisruptionSyncError(description: "invalid type: string is not a percentage") }
        guard let percent = Int(text.dropLast()) else {
            throw DisruptionSyncError(description: "invalid value \"\(text)\": strconv.Atoi: parsing \"\(text.dropLast())\": invalid syntax")
        }
        let scaled = Double(percent) * Double(total) / 100
        return Int(scaled.rounded(.up))
    }

    /// Pods a PDB selects: its selector in its namespace (empty selects all, absent none, as policy/v1).
    static func selector(of pdb: JSONValue) throws -> LabelSelector {
        do { return try LabelSelector(object: pdb["spec"]?["selector"]) } catch {
            throw DisruptionSyncError(description: "\(error)")
        }
    }

    /// The `disruptedPods` entries still pending: pods not yet being deleted whose entry is younger
    /// than the deletion timeout; and when the earliest of them expires (upstream's
    /// `buildDisruptedPodMap`). Entries for pods that are gone or already deleting are dropped.
    static func disruptedPods(_ pods: [JSONValue], pdb: JSONValue, now: Date) -> (pending: JSONObject, recheck: Date?) {
        guard let recorded = pdb["status"]?["disruptedPods"]?.objectValue else { return ([:], nil) }
        var pending = JSONObject()
        var recheck: Date?
        for pod in pods where !pod.isBeingDeleted {
            let name = pod.objectName
            guard let value = recorded[name], let since = parseKubernetesTime(value.stringValue) else { continue }
            let expected = since.addingTimeInterval(deletionTimeout)
            if expected < now { continue }
            if recheck.map({ expected < $0 }) ?? true { recheck = expected }
            pending[name] = value
        }
        return (pending, recheck)
    }

    /// Ready pods not being deleted and not about to be (upstream's `countHealthyPods`).
    static func currentHealthy(_ pods: [JSONValue], disrupted: JSONObject, now: Date) -> Int {
        pods.filter { pod in
            if pod.isBeingDeleted { return false }
            if let since = parseKubernetesTime(disrupted[pod.objectName]?.stringValue),
               since.addingTimeInterval(deletionTimeout) > now { return false }
            return pod.isPodReady
        }.count
    }

    /// The counts a PDB's status should hold.
    struct Counts: Equatable {
        var currentHealthy: Int
        var desiredHealthy: Int
        var expectedPods: Int

        /// Never positive while no pods are expected, so a budget whose first pods just appeared is safe.
        var disruptionsAllowed: Int {
            let allowed = currentHealthy - desiredHealthy
            return expectedPods <= 0 || allowed <= 0 ? 0 : allowed
        }
    }

    /// The PDB with its new status, or nil when the stored one already says it (`updatePdbStatus`).
    static func updated(_ pdb: JSONValue, counts: Counts, disrupted: JSONObject, now: Date) -> JSONValue? {
        let status = pdb["status"]
        func int(_ field: String) -> Int { Int(status?[field]?.intValue ?? 0) }
        if int("currentHealthy") == counts.currentHealthy, int("desiredHealthy") == counts.desiredHealthy,
           int("expectedPods") == counts.expectedPods, int("disruptionsAllowed") == counts.disruptionsAllowed,
           sameTimes(status?["disruptedPods"]?.objectValue ?? [:], disrupted),
           (status?["observedGeneration"]?.intValue ?? 0) == pdb.generation,
           DisruptionBudgetConditions.upToDate(pdb) {
            return nil
        }
        var newStatus: JSONValue = [:]
        if pdb.generation != 0 { newStatus["observedGeneration"] = .int(pdb.generation) }
        if !disrupted.isEmpty { newStatus["disruptedPods"] = .object(disrupted) }
        newStatus["disruptionsAllowed"] = .int(Int64(counts.disruptionsAllowed))
        newStatus["currentHealthy"] = .int(Int64(counts.currentHealthy))
        newStatus["desiredHealthy"] = .int(Int64(counts.desiredHealthy))
        newStatus["expectedPods"] = .int(Int64(counts.expectedPods))
        if let conditions = status?["conditions"] { newStatus["conditions"] = conditions }
        var result = pdb
        result["status"] = newStatus
        DisruptionBudgetConditions.update(&result, now: now)
        return result
    }

    /// The PDB with no disruptions allowed and a `SyncFailed` condition (upstream's `failSafe`).
    static func failSafe(_ pdb: JSONValue, error: String, now: Date) -> JSONValue {
        var result = pdb
        result.setValue(.int(0), at: ["status", "disruptionsAllowed"])
        var conditions = pdb["status"]?["conditions"]?.arrayValue ?? []
        StatusConditions.set(&conditions, type: DisruptionBudgetConditions.type, status: "False",
                             reason: DisruptionBudgetConditions.syncFailed, message: error,
                             observedGeneration: pdb["status"]?["observedGeneration"]?.intValue ?? 0, now: now)
        result.setValue(.array(conditions), at: ["status", "conditions"])
        return result
    }

    /// Semantic equality of two `disruptedPods` maps (times compared as instants).
    static func sameTimes(_ a: JSONObject, _ b: JSONObject) -> Bool {
        guard a.count == b.count else { return false }
        for (name, value) in a {
            guard let other = b[name] else { return false }
            if parseKubernetesTime(value.stringValue) != parseKubernetesTime(other.stringValue) { return false }
        }
        return true
    }
}
