import Foundation
import SkiffAPI
import SkiffClient

/// A PodDisruptionBudget that cannot be computed; its message becomes the `SyncFailed` condition's.
struct DisruptionSyncError: Error, CustomStringConvertible {
    var description: String
}

/// The arithmetic of upstream's `pkg/controller/disruption`, over the typed objects informers hold.
enum DisruptionMath {
    /// How long an eviction's `disruptedPods` entry waits for the pod's deletion to be seen
    /// (upstream's `DeletionTimeout`).
    static let deletionTimeout: TimeInterval = 120

    /// `intstr.GetScaledValueFromIntOrPercent(value, total, roundUp: true)`.
    static func scaledValue(_ value: IntOrString, total: Int) throws -> Int {
        let text: String
        switch value {
        case .int(let int): return Int(int)
        case .string(let string): text = string
        }
        guard text.hasSuffix("%") else { throw DisruptionSyncError(description: "invalid type: string is not a percentage") }
        guard let percent = Int(text.dropLast()) else {
            throw DisruptionSyncError(description: "invalid value \"\(text)\": strconv.Atoi: parsing \"\(text.dropLast())\": invalid syntax")
        }
        let scaled = Double(percent) * Double(total) / 100
        return Int(scaled.rounded(.up))
    }

    /// Pods a PDB selects: its selector in its namespace (empty selects all, absent none, as policy/v1).
    static func selector(of pdb: policy.v1.PodDisruptionBudget) throws -> LabelSelector {
        do { return try LabelSelector(pdb.spec?.selector) } catch {
            throw DisruptionSyncError(description: "\(error)")
        }
    }

    /// The `disruptedPods` entries still pending: pods not yet being deleted whose entry is younger
    /// than the deletion timeout; and when the earliest of them expires (upstream's
    /// `buildDisruptedPodMap`). Entries for pods that are gone or already deleting are dropped.
    static func disruptedPods(_ pods: [core.v1.Pod], pdb: policy.v1.PodDisruptionBudget, now: Date)
        -> (pending: [String: meta.v1.Time], recheck: Date?)
    {
        guard let recorded = pdb.status?.disruptedPods else { return ([:], nil) }
        var pending: [String: meta.v1.Time] = [:]
        var recheck: Date?
        for pod in pods where !pod.isBeingDeleted {
            let name = pod.objectName
            guard let value = recorded[name], let since = value.date else { continue }
            let expected = since.addingTimeInterval(deletionTimeout)
            if expected < now { continue }
            if recheck.map({ expected < $0 }) ?? true { recheck = expected }
            pending[name] = value
        }
        return (pending, recheck)
    }

    /// Ready pods not being deleted and not about to be (upstream's `countHealthyPods`).
    static func currentHealthy(_ pods: [core.v1.Pod], disrupted: [String: meta.v1.Time], now: Date) -> Int {
        pods.filter { pod in
            if pod.isBeingDeleted { return false }
            if let since = disrupted[pod.objectName]?.date, since.addingTimeInterval(deletionTimeout) > now { return false }
            return pod.isReady
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
    static func updated(_ pdb: policy.v1.PodDisruptionBudget, counts: Counts, disrupted: [String: meta.v1.Time], now: Date)
        -> policy.v1.PodDisruptionBudget?
    {
        let status = pdb.status
        if Int(status?.currentHealthy ?? 0) == counts.currentHealthy, Int(status?.desiredHealthy ?? 0) == counts.desiredHealthy,
           Int(status?.expectedPods ?? 0) == counts.expectedPods, Int(status?.disruptionsAllowed ?? 0) == counts.disruptionsAllowed,
           sameTimes(status?.disruptedPods ?? [:], disrupted),
           (status?.observedGeneration ?? 0) == pdb.generation,
           DisruptionBudgetConditions.upToDate(pdb) {
            return nil
        }
        var result = pdb
        result.status = policy.v1.PodDisruptionBudgetStatus(
            conditions: status?.conditions, currentHealthy: Int32(clamping: counts.currentHealthy),
            desiredHealthy: Int32(clamping: counts.desiredHealthy), disruptedPods: disrupted.isEmpty ? nil : disrupted,
            disruptionsAllowed: Int32(clamping: counts.disruptionsAllowed), expectedPods: Int32(clamping: counts.expectedPods),
            observedGeneration: pdb.generation == 0 ? nil : pdb.generation)
        DisruptionBudgetConditions.update(&result, now: now)
        return result
    }

    /// The PDB with no disruptions allowed and a `SyncFailed` condition (upstream's `failSafe`).
    static func failSafe(_ pdb: policy.v1.PodDisruptionBudget, error: String, now: Date) -> policy.v1.PodDisruptionBudget {
        var result = pdb
        var status = pdb.status ?? policy.v1.PodDisruptionBudgetStatus(currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0,
                                                                        expectedPods: 0)
        status.disruptionsAllowed = 0
        var conditions = status.conditions ?? []
        StatusConditions.set(&conditions, type: DisruptionBudgetConditions.type, status: "False",
                             reason: DisruptionBudgetConditions.syncFailed, message: error,
                             observedGeneration: status.observedGeneration ?? 0, now: now)
        status.conditions = conditions
        result.status = status
        return result
    }

    /// Semantic equality of two `disruptedPods` maps (times compared as instants).
    static func sameTimes(_ a: [String: meta.v1.Time], _ b: [String: meta.v1.Time]) -> Bool {
        guard a.count == b.count else { return false }
        for (name, value) in a {
            guard let other = b[name], value.date == other.date else { return false }
        }
        return true
    }
}
