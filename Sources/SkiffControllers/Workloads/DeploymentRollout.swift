import Foundation
import SkiffAPI
import SkiffClient

/// Pure helpers over a Deployment's ReplicaSets.
enum DeploymentRollout {
    /// The ReplicaSet whose template is the Deployment's (the oldest if several), and the others.
    static func split(_ rsList: [apps.v1.ReplicaSet], template: core.v1.PodTemplateSpec?) -> (apps.v1.ReplicaSet?, [apps.v1.ReplicaSet]) {
        let sorted = rsList.sorted { ($0.creationDate, $0.objectName) < ($1.creationDate, $1.objectName) }
        guard let new = sorted.first(where: { DeploymentMath.templatesEqualIgnoringHash($0.spec?.template, template) })
        else { return (nil, sorted) }
        return (new, sorted.filter { $0.uid != new.uid })
    }

    static func revision(_ rs: apps.v1.ReplicaSet) -> Int { rs.annotations[WorkloadAnnotations.revision].flatMap(Int.init) ?? 0 }

    static func fenceposts(_ d: apps.v1.Deployment) -> (surge: Int, unavailable: Int) {
        guard !d.isRecreate else { return (0, 0) }
        let rolling = d.spec?.strategy?.rollingUpdate
        return DeploymentMath.fenceposts(maxSurge: rolling?.maxSurge, maxUnavailable: rolling?.maxUnavailable,
                                         replicas: d.specReplicas)
    }

    static func sum(_ list: [apps.v1.ReplicaSet], _ value: (apps.v1.ReplicaSet) -> Int) -> Int { list.reduce(0) { $0 + value($1) } }
}

extension DeploymentSyncer {
    // MARK: - Revisions and the new ReplicaSet

    /// Finds (or, when `create`, makes) the new ReplicaSet and keeps the revision annotations of it
    /// and of the Deployment at one past the highest old revision (upstream's `getAllReplicaSetsAndSyncRevision`).
    func replicaSetsAndSyncRevision(_ d: inout apps.v1.Deployment, _ rsList: [apps.v1.ReplicaSet], create: Bool) async throws
        -> (apps.v1.ReplicaSet?, [apps.v1.ReplicaSet])
    {
        var (newRS, old) = DeploymentRollout.split(rsList, template: d.spec?.template)
        let newRevision = (old.map(DeploymentRollout.revision).max() ?? 0) + 1
        if let rs = newRS {
            let updated = Self.newReplicaSetAnnotations(rs, deployment: d, revision: newRevision)
            if updated != rs {
                newRS = try await replicaSetsAPI(rs.objectNamespace).update(updated)
            }
        } else if create {
            newRS = try await createNewReplicaSet(&d, old: old, revision: newRevision)
        }
        if let rs = newRS, let revision = rs.annotations[WorkloadAnnotations.revision], d.annotations[WorkloadAnnotations.revision] != revision {
            d.setAnnotation(WorkloadAnnotations.revision, revision)
            d = try await deploymentsAPI(d.objectNamespace).update(d)
        }
        return (newRS, old)
    }

    func createNewReplicaSet(_ d: inout apps.v1.Deployment, old: [apps.v1.ReplicaSet], revision: Int) async throws -> apps.v1.ReplicaSet {
        let collisionCount = d.status?.collisionCount.map(Int.init)
        var template = d.spec?.template ?? core.v1.PodTemplateSpec()
        let hash = DeploymentMath.podTemplateHash(template.json, collisionCount: collisionCount)
        template.setLabel(WorkloadAnnotations.podTemplateHash, hash)
        var selector = d.spec?.selector ?? meta.v1.LabelSelector()
        selector.matchLabels = (selector.matchLabels ?? [:]).merging([WorkloadAnnotations.podTemplateHash: hash]) { $1 }
        let (surge, _) = DeploymentRollout.fenceposts(d)
        let desired = d.specReplicas
        let replicas = d.isRecreate ? desired
            : DeploymentMath.newReplicaSetReplicas(desired: desired, maxSurge: surge,
                                                   currentPodCount: DeploymentRollout.sum(old, \.specReplicas), newReplicaSetReplicas: 0)
        var annotations: [String: String] = [:]
        for (key, value) in d.annotations where Self.copiedAnnotation(key) { annotations[key] = value }
        annotations[WorkloadAnnotations.revision] = String(revision)
        annotations[WorkloadAnnotations.desiredReplicas] = String(desired)
        annotations[WorkloadAnnotations.maxReplicas] = String(desired + surge)
        let name = "\(d.objectName)-\(hash)"
        let rs = apps.v1.ReplicaSet(
            metadata: meta.v1.ObjectMeta(annotations: annotations, labels: template.metadata?.labels ?? [:], name: name,
                                         namespace: d.objectNamespace, ownerReferences: [d.controllerOwnerReference]),
            spec: apps.v1.ReplicaSetSpec(minReadySeconds: Int32(clamping: d.minReadySeconds), replicas: Int32(clamping: replicas),
                                         selector: selector, template: template))
        let api = replicaSetsAPI(d.objectNamespace)
        do {
            let created = try await api.create(rs)
            if replicas > 0 {
                recorder.record(EventRecorder.ObjectReference(d), type: "Normal", reason: "ScalingReplicaSet",
                                message: "Scaled up replica set \(name) from 0 to \(replicas)")
            }
            return created
        } catch let error as APIError where error.isAlreadyExists {
            let existing = try await api.get(name)
            if existing.controllerReference?.uid == d.uid,
               DeploymentMath.templatesEqualIgnoringHash(existing.spec?.template, d.spec?.template) {
                return existing
            }
            // A hash collision: bump collisionCount so the next try hashes differently.
            var status = d.status ?? apps.v1.DeploymentStatus()
            status.collisionCount = Int32(clamping: (collisionCount ?? 0) + 1)
            d.status = status
            d = try await deploymentsAPI(d.objectNamespace).updateStatus(d)
            throw error
        }
    }

    /// Upstream's `SetNewReplicaSetAnnotations` for a ReplicaSet that exists: the Deployment's annotations,
    /// the new revision, and, when a rollback brings an older ReplicaSet back, its old revision appended to
    /// `revision-history` (at most 2,000 characters, the oldest entries dropped first).
    static func newReplicaSetAnnotations(_ rs: apps.v1.ReplicaSet, deployment d: apps.v1.Deployment, revision: Int) -> apps.v1.ReplicaSet {
        var updated = rs
        for (key, value) in d.annotations where copiedAnnotation(key) { updated.setAnnotation(key, value) }
        let oldText = rs.annotations[WorkloadAnnotations.revision]
        let oldRevision: Int
        if let oldText, !oldText.isEmpty {
            guard let parsed = Int(oldText) else { return updated }
            oldRevision = parsed
        } else {
            oldRevision = 0
        }
        guard oldRevision < revision else { return updated }
        updated.setAnnotation(WorkloadAnnotations.revision, String(revision))
        if let oldText {
            let history = rs.annotations[WorkloadAnnotations.revisionHistory] ?? ""
            if history.isEmpty {
                updated.setAnnotation(WorkloadAnnotations.revisionHistory, oldText)
            } else {
                let parts = history.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                var total = history.count + oldText.count + 1
                var start = 0
                while total > maxRevisionHistoryLength && start < parts.count {
                    total -= parts[start].count + 1
                    start += 1
                }
                if total <= maxRevisionHistoryLength {
                    let kept = (parts[start...] + [oldText]).joined(separator: ",")
                    updated.setAnnotation(WorkloadAnnotations.revisionHistory, kept)
                }
            }
        }
        return updated
    }

    static let maxRevisionHistoryLength = 2000

    /// Deployment annotations that do not describe a ReplicaSet's own state are copied to it
    /// (`kubernetes.io/change-cause` shows in `rollout history` that way).
    static func copiedAnnotation(_ key: String) -> Bool {
        ![WorkloadAnnotations.revision, WorkloadAnnotations.revisionHistory, WorkloadAnnotations.desiredReplicas,
          WorkloadAnnotations.maxReplicas, "kubectl.kubernetes.io/last-applied-configuration",
          "deprecated.deployment.rollback.to"].contains(key)
    }

    // MARK: - Scaling

    /// Sets a ReplicaSet's size and its desired/max annotations; records `ScalingReplicaSet`.
    func scaleReplicaSet(_ rs: apps.v1.ReplicaSet, to size: Int, for d: apps.v1.Deployment) async throws -> apps.v1.ReplicaSet {
        let (surge, _) = DeploymentRollout.fenceposts(d)
        var updated = rs
        updated.spec?.replicas = Int32(clamping: size)
        updated.setAnnotation(WorkloadAnnotations.desiredReplicas, String(d.specReplicas))
        updated.setAnnotation(WorkloadAnnotations.maxReplicas, String(d.specReplicas + surge))
        if updated == rs { return rs }
        let result = try await replicaSetsAPI(rs.objectNamespace).update(updated)
        let from = Int(rs.spec?.replicas ?? 0)
        if from != size {
            recorder.record(EventRecorder.ObjectReference(d), type: "Normal", reason: "ScalingReplicaSet",
                            message: "Scaled \(Int64(size) > from ? "up" : "down") replica set \(rs.objectName) from \(from) to \(size)")
        }
        return result
    }

    func rolloutRolling(_ d: inout apps.v1.Deployment, _ rsList: [apps.v1.ReplicaSet]) async throws {
        var (newRS, old) = try await replicaSetsAndSyncRevision(&d, rsList, create: true)
        guard var new = newRS else { return }
        let (surge, unavailable) = DeploymentRollout.fenceposts(d)
        let desired = d.specReplicas
        // Scale the new ReplicaSet up (or down to the desired size).
        let target = new.specReplicas > desired ? desired
            : DeploymentMath.newReplicaSetReplicas(desired: desired, maxSurge: surge,
                                                   currentPodCount: DeploymentRollout.sum(old + [new], \.specReplicas),
                                                   newReplicaSetReplicas: new.specReplicas)
        if target != new.specReplicas {
            new = try await scaleReplicaSet(new, to: target, for: d)
            try await syncStatus(&d, newRS: new, oldRSs: old, rollout: true)
            return
        }
        // Scale old ReplicaSets down as far as availability allows: unhealthy replicas first.
        let all = old + [new]
        var budget = DeploymentMath.maxScaledDown(allPods: DeploymentRollout.sum(all, \.specReplicas), desired: desired,
                                                  maxUnavailable: unavailable,
                                                  newUnavailable: new.specReplicas - new.availableReplicas)
        var scaledDown = false
        if budget > 0 && DeploymentRollout.sum(old, \.specReplicas) > 0 {
            for index in old.indices where budget > 0 {
                let unhealthy = old[index].specReplicas - old[index].availableReplicas
                guard old[index].specReplicas > 0, unhealthy > 0 else { continue }
                let cut = min(budget, unhealthy)
                old[index] = try await scaleReplicaSet(old[index], to: old[index].specReplicas - cut, for: d)
                budget -= cut
                scaledDown = true
            }
            let available = DeploymentRollout.sum(old + [new], \.availableReplicas)
            var allowed = available - (desired - min(unavailable, desired))
            for index in old.indices where allowed > 0 && old[index].specReplicas > 0 {
                let cut = min(old[index].specReplicas, allowed)
                old[index] = try await scaleReplicaSet(old[index], to: old[index].specReplicas - cut, for: d)
                allowed -= cut
                scaledDown = true
            }
        }
        if !scaledDown, Self.complete(d, status: calculateStatus(d, newRS: new, oldRSs: old)) {
            try await cleanup(d, oldRSs: old)
        }
        try await syncStatus(&d, newRS: new, oldRSs: old, rollout: true)
    }

    func rolloutRecreate(_ d: inout apps.v1.Deployment, _ rsList: [apps.v1.ReplicaSet]) async throws {
        var (newRS, old) = try await replicaSetsAndSyncRevision(&d, rsList, create: false)
        var scaledDown = false
        for index in old.indices where old[index].specReplicas > 0 {
            old[index] = try await scaleReplicaSet(old[index], to: 0, for: d)
            scaledDown = true
        }
        let oldUIDs = Set(old.map(\.uid))
        let oldPodsRunning = DeploymentRollout.sum(old, \.statusReplicas) > 0
            || pods.indexer.byIndex(Indexer<core.v1.Pod>.namespaceIndex, d.objectNamespace).contains { pod in
                guard let uid = pod.controllerReference?.uid, oldUIDs.contains(uid) else { return false }
                return !pod.isTerminated
            }
        if scaledDown || oldPodsRunning {
            try await syncStatus(&d, newRS: newRS, oldRSs: old, rollout: true)
            return
        }
        if newRS == nil { (newRS, old) = try await replicaSetsAndSyncRevision(&d, rsList, create: true) }
        if let rs = newRS, rs.specReplicas != d.specReplicas { newRS = try await scaleReplicaSet(rs, to: d.specReplicas, for: d) }
        if let rs = newRS, Self.complete(d, status: calculateStatus(d, newRS: rs, oldRSs: old)) { try await cleanup(d, oldRSs: old) }
        try await syncStatus(&d, newRS: newRS, oldRSs: old, rollout: true)
    }

    /// Scaling without a rollout (paused, or only `replicas` changed): one active ReplicaSet takes the
    /// whole size; otherwise the change is spread over the active ones in proportion to their sizes.
    func scale(_ d: apps.v1.Deployment, newRS: apps.v1.ReplicaSet?, oldRSs: [apps.v1.ReplicaSet]) async throws {
        let all = ([newRS].compactMap { $0 } + oldRSs)
        let active = all.filter { $0.specReplicas > 0 }
        let desired = d.specReplicas
        if active.count <= 1 {
            guard let target = active.first ?? newRS ?? oldRSs.max(by: { $0.creationDate < $1.creationDate }) else { return }
            _ = try await scaleReplicaSet(target, to: desired, for: d)
            return
        }
        if let newRS, newRS.specReplicas == desired, newRS.availableReplicas == desired {
            for rs in oldRSs where rs.specReplicas > 0 { _ = try await scaleReplicaSet(rs, to: 0, for: d) }
            return
        }
        let (surge, _) = DeploymentRollout.fenceposts(d)
        let sets = active.map {
            DeploymentMath.ScaledReplicaSet(name: $0.objectName, created: $0.creationDate, replicas: $0.specReplicas,
                                            maxReplicas: $0.annotations[WorkloadAnnotations.maxReplicas].flatMap(Int.init))
        }
        let sizes = DeploymentMath.proportionalSizes(sets, desired: desired, surge: surge,
                                                     statusReplicas: Int(d.status?.replicas ?? 0))
        for (rs, size) in zip(active, sizes) { _ = try await scaleReplicaSet(rs, to: size, for: d) }
    }

    /// Deletes the oldest fully scaled-down ReplicaSets past `revisionHistoryLimit` (default 10).
    func cleanup(_ d: apps.v1.Deployment, oldRSs: [apps.v1.ReplicaSet]) async throws {
        let limit = Int(d.spec?.revisionHistoryLimit ?? 10)
        let cleanable = oldRSs.filter { !$0.isBeingDeleted }.sorted { DeploymentRollout.revision($0) < DeploymentRollout.revision($1) }
        var excess = cleanable.count - limit
        for rs in cleanable where excess > 0 {
            guard rs.statusReplicas == 0, rs.specReplicas == 0, rs.generation <= rs.observedGeneration else { continue }
            do {
                try await replicaSetsAPI(rs.objectNamespace).delete(rs.objectName)
            } catch let error as APIError where error.isNotFound {}
            excess -= 1
        }
    }
}
