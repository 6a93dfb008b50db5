import Foundation
import SkiffAPI
import SkiffClient

extension DeploymentSyncer {
    /// The status the ReplicaSets imply (upstream's `calculateStatus`), with the Available condition.
    func calculateStatus(_ d: JSONValue, newRS: JSONValue?, oldRSs: [JSONValue], now: Date = Date()) -> JSONValue {
        let all = [newRS].compactMap { $0 } + oldRSs
        let available = DeploymentRollout.sum(all) { $0.statusInt("availableReplicas") }
        let total = DeploymentRollout.sum(all, \.specReplicas)
        var status: JSONValue = [
            "observedGeneration": .int(d.generation),
            "replicas": .int(Int64(DeploymentRollout.sum(all) { $0.statusInt("replicas") })),
            "updatedReplicas": .int(Int64(newRS?.statusInt("replicas") ?? 0)),
            "readyReplicas": .int(Int64(DeploymentRollout.sum(all) { $0.statusInt("readyReplicas") })),
            "availableReplicas": .int(Int64(available)),
            "unavailableReplicas": .int(Int64(max(0, total - available))),
        ]
        if let collisions = d["status"]?["collisionCount"], !collisions.isNull { status["collisionCount"] = collisions }
        var conditions = d["status"]?["conditions"]?.arrayValue ?? []
        let minAvailable = d.specReplicas - DeploymentRollout.fenceposts(d).unavailable
        if available >= minAvailable {
            Self.setCondition(&conditions, type: "Available", status: "True", reason: "MinimumReplicasAvailable",
                              message: "Deployment has minimum availability.", now: now)
        } else {
            Self.setCondition(&conditions, type: "Available", status: "False", reason: "MinimumReplicasUnavailable",
                              message: "Deployment does not have minimum availability.", now: now)
        }
        status["conditions"] = .array(conditions)
        return status
    }

    /// Computes and writes the status; with `rollout`, also the Progressing condition.
    func syncStatus(_ d: inout JSONValue, newRS: JSONValue?, oldRSs: [JSONValue], rollout: Bool, now: Date = Date()) async throws {
        var status = calculateStatus(d, newRS: newRS, oldRSs: oldRSs, now: now)
        var conditions = status["conditions"]?.arrayValue ?? []
        if d["spec"]?["paused"]?.boolValue == true {
            Self.setCondition(&conditions, type: "Progressing", status: "Unknown", reason: "DeploymentPaused",
                              message: "Deployment is paused", now: now)
        } else if rollout, let newRS {
            let name = newRS.objectName
            if Self.complete(d, status: status) {
                Self.setCondition(&conditions, type: "Progressing", status: "True", reason: "NewReplicaSetAvailable",
                                  message: "ReplicaSet \"\(name)\" has successfully progressed.", now: now)
            } else if Self.progressing(old: d["status"], new: status) || Self.condition(conditions, "Progressing") == nil {
                Self.setCondition(&conditions, type: "Progressing", status: "True", reason: "ReplicaSetUpdated",
                                  message: "ReplicaSet \"\(name)\" is progressing.", now: now)
            } else if let deadline = d["spec"]?["progressDeadlineSeconds"]?.intValue,
                      let last = Self.condition(conditions, "Progressing"),
                      let updated = parseKubernetesTime(last["lastUpdateTime"]?.stringValue),
                      updated.addingTimeInterval(TimeInterval(deadline)) < now {
                Self.setCondition(&conditions, type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded",
                                  message: "ReplicaSet \"\(name)\" has timed out progressing.", now: now)
            }
        }
        status["conditions"] = .array(conditions)
        if !Self.complete(d, status: status), let deadline = d["spec"]?["progressDeadlineSeconds"]?.intValue {
            await queue.add(d.objectKey, after: .seconds(deadline + 1))
        }
        if Self.sameStatus(d["status"], status) { return }
        var updated = d
        updated["status"] = status
        d = try await client.json(.PUT, WorkloadResources.deployments.object(d.objectName, namespace: d.objectNamespace) + "/status",
                                  body: updated)
    }

    /// Whether the rollout is done (upstream's `DeploymentComplete`).
    static func complete(_ d: JSONValue, status: JSONValue) -> Bool {
        let replicas = Int64(d.specReplicas)
        return status["updatedReplicas"]?.intValue == replicas && status["replicas"]?.intValue == replicas
            && status["availableReplicas"]?.intValue == replicas && (status["observedGeneration"]?.intValue ?? 0) >= d.generation
    }

    /// Whether the rollout moved since the last status (upstream's `DeploymentProgressing`).
    static func progressing(old: JSONValue?, new: JSONValue) -> Bool {
        func value(_ s: JSONValue?, _ f: String) -> Int64 { s?[f]?.intValue ?? 0 }
        let oldOld = value(old, "replicas") - value(old, "updatedReplicas")
        let newOld = value(new, "replicas") - value(new, "updatedReplicas")
        return value(new, "updatedReplicas") > value(old, "updatedReplicas") || newOld < oldOld
            || value(new, "readyReplicas") > value(old, "readyReplicas")
            || value(new, "availableReplicas") > value(old, "availableReplicas")
    }

    static func condition(_ conditions: [JSONValue], _ type: String) -> JSONValue? {
        conditions.first { $0["type"]?.stringValue == type }
    }

    /// Sets a condition; the transition time changes only with the status, and an unchanged
    /// status and reason leaves the condition alone (upstream's `SetDeploymentCondition`).
    static func setCondition(_ conditions: inout [JSONValue], type: String, status: String, reason: String,
                             message: String, now: Date) {
        let time = JSONValue.string(formatKubernetesTime(now))
        let existing = conditions.firstIndex { $0["type"]?.stringValue == type }
        if let existing, conditions[existing]["status"]?.stringValue == status,
           conditions[existing]["reason"]?.stringValue == reason, reason != "ReplicaSetUpdated" {
            return
        }
        var condition: JSONValue = ["type": .string(type), "status": .string(status), "lastUpdateTime": time,
                                    "lastTransitionTime": time, "reason": .string(reason), "message": .string(message)]
        if let existing, conditions[existing]["status"]?.stringValue == status {
            condition["lastTransitionTime"] = conditions[existing]["lastTransitionTime"] ?? time
        }
        if let existing { conditions[existing] = condition } else { conditions.append(condition) }
    }

    static func sameStatus(_ current: JSONValue?, _ desired: JSONValue) -> Bool {
        for field in ["observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"]
        where (current?[field]?.intValue ?? 0) != (desired[field]?.intValue ?? 0) {
            return false
        }
        func strip(_ c: JSONValue) -> JSONValue {
            var c = c
            c.setValue(nil, at: ["lastUpdateTime"])
            c.setValue(nil, at: ["lastTransitionTime"])
            return c
        }
        return (current?["conditions"]?.arrayValue ?? []).map(strip) == (desired["conditions"]?.arrayValue ?? []).map(strip)
    }
}
