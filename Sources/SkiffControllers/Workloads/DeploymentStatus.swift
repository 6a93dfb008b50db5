import Foundation
import SkiffAPI
import SkiffClient

extension DeploymentSyncer {
    /// The status the ReplicaSets imply (upstream's `calculateStatus`), with the Available condition.
    func calculateStatus(_ d: apps.v1.Deployment, newRS: apps.v1.ReplicaSet?, oldRSs: [apps.v1.ReplicaSet],
                         now: Date? = nil) -> apps.v1.DeploymentStatus {
        let now = now ?? clock.date
        let all = [newRS].compactMap { $0 } + oldRSs
        let available = DeploymentRollout.sum(all, \.availableReplicas)
        let total = DeploymentRollout.sum(all, \.specReplicas)
        var status = apps.v1.DeploymentStatus(
            availableReplicas: Int32(clamping: available), collisionCount: d.status?.collisionCount,
            observedGeneration: d.generation, readyReplicas: Int32(clamping: DeploymentRollout.sum(all, \.readyReplicas)),
            replicas: Int32(clamping: DeploymentRollout.sum(all, \.statusReplicas)),
            unavailableReplicas: Int32(clamping: max(0, total - available)),
            updatedReplicas: Int32(clamping: newRS?.statusReplicas ?? 0))
        var conditions = d.status?.conditions ?? []
        let minAvailable = d.specReplicas - DeploymentRollout.fenceposts(d).unavailable
        if available >= minAvailable {
            Self.setCondition(&conditions, type: "Available", status: "True", reason: "MinimumReplicasAvailable",
                              message: "Deployment has minimum availability.", now: now)
        } else {
            Self.setCondition(&conditions, type: "Available", status: "False", reason: "MinimumReplicasUnavailable",
                              message: "Deployment does not have minimum availability.", now: now)
        }
        status.conditions = conditions
        return status
    }

    /// Computes and writes the status; with `rollout`, also the Progressing condition.
    func syncStatus(_ d: inout apps.v1.Deployment, newRS: apps.v1.ReplicaSet?, oldRSs: [apps.v1.ReplicaSet], rollout: Bool,
                    now: Date? = nil) async throws {
        let now = now ?? clock.date
        var status = calculateStatus(d, newRS: newRS, oldRSs: oldRSs, now: now)
        var conditions = status.conditions ?? []
        if d.isPaused {
            Self.setCondition(&conditions, type: "Progressing", status: "Unknown", reason: "DeploymentPaused",
                              message: "Deployment is paused", now: now)
        } else if rollout, let newRS {
            let name = newRS.objectName
            if Self.complete(d, status: status) {
                Self.setCondition(&conditions, type: "Progressing", status: "True", reason: "NewReplicaSetAvailable",
                                  message: "ReplicaSet \"\(name)\" has successfully progressed.", now: now)
            } else if Self.progressing(old: d.status, new: status) || Self.condition(conditions, "Progressing") == nil {
                Self.setCondition(&conditions, type: "Progressing", status: "True", reason: "ReplicaSetUpdated",
                                  message: "ReplicaSet \"\(name)\" is progressing.", now: now)
            } else if let deadline = d.spec?.progressDeadlineSeconds,
                      let updated = Self.condition(conditions, "Progressing")?.lastUpdateTime?.date,
                      updated.addingTimeInterval(TimeInterval(deadline)) < now {
                Self.setCondition(&conditions, type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded",
                                  message: "ReplicaSet \"\(name)\" has timed out progressing.", now: now)
            }
        }
        status.conditions = conditions
        if !Self.complete(d, status: status), let deadline = d.spec?.progressDeadlineSeconds {
            await queue.add(d.objectKey, after: .seconds(Int64(deadline) + 1))
        }
        if Self.sameStatus(d.status, status) { return }
        var updated = d
        updated.status = status
        d = try await deploymentsAPI(d.objectNamespace).updateStatus(updated)
    }

    /// Whether the rollout is done (upstream's `DeploymentComplete`).
    static func complete(_ d: apps.v1.Deployment, status: apps.v1.DeploymentStatus) -> Bool {
        let replicas = Int32(clamping: d.specReplicas)
        return (status.updatedReplicas ?? 0) == replicas && (status.replicas ?? 0) == replicas
            && (status.availableReplicas ?? 0) == replicas && (status.observedGeneration ?? 0) >= d.generation
    }

    /// Whether the rollout moved since the last status (upstream's `DeploymentProgressing`).
    static func progressing(old: apps.v1.DeploymentStatus?, new: apps.v1.DeploymentStatus) -> Bool {
        let oldOld = (old?.replicas ?? 0) - (old?.updatedReplicas ?? 0)
        let newOld = (new.replicas ?? 0) - (new.updatedReplicas ?? 0)
        return (new.updatedReplicas ?? 0) > (old?.updatedReplicas ?? 0) || newOld < oldOld
            || (new.readyReplicas ?? 0) > (old?.readyReplicas ?? 0)
            || (new.availableReplicas ?? 0) > (old?.availableReplicas ?? 0)
    }

    static func condition(_ conditions: [apps.v1.DeploymentCondition], _ type: String) -> apps.v1.DeploymentCondition? {
        conditions.first { $0.type == type }
    }

    /// Sets a condition; the transition time changes only with the status, and an unchanged
    /// status and reason leaves the condition alone (upstream's `SetDeploymentCondition`).
    static func setCondition(_ conditions: inout [apps.v1.DeploymentCondition], type: String, status: String, reason: String,
                             message: String, now: Date) {
        let time = meta.v1.Time(now)
        let existing = conditions.firstIndex { $0.type == type }
        if let existing, conditions[existing].status == status, conditions[existing].reason == reason, reason != "ReplicaSetUpdated" {
            return
        }
        var condition = apps.v1.DeploymentCondition(lastTransitionTime: time, lastUpdateTime: time, message: message,
                                                    reason: reason, status: status, type: type)
        if let existing, conditions[existing].status == status {
            condition.lastTransitionTime = conditions[existing].lastTransitionTime ?? time
        }
        if let existing { conditions[existing] = condition } else { conditions.append(condition) }
    }

    /// Whether `current` already says what `desired` does, condition times aside.
    static func sameStatus(_ current: apps.v1.DeploymentStatus?, _ desired: apps.v1.DeploymentStatus) -> Bool {
        func counts(_ s: apps.v1.DeploymentStatus?) -> [Int64] {
            [s?.observedGeneration ?? 0, Int64(s?.replicas ?? 0), Int64(s?.updatedReplicas ?? 0), Int64(s?.readyReplicas ?? 0),
             Int64(s?.availableReplicas ?? 0), Int64(s?.unavailableReplicas ?? 0)]
        }
        guard counts(current) == counts(desired) else { return false }
        func strip(_ c: apps.v1.DeploymentCondition) -> apps.v1.DeploymentCondition {
            var c = c
            c.lastUpdateTime = nil
            c.lastTransitionTime = nil
            return c
        }
        return (current?.conditions ?? []).map(strip) == (desired.conditions ?? []).map(strip)
    }
}
