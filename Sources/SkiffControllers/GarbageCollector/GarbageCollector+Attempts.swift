import SkiffAPI
import SkiffClient

/// What a worker does with its item afterwards.
enum AttemptOutcome: Sendable, Equatable {
    case forget
    case requeue
}

/// The owners an object names, sorted by what the server says of them now.
struct ClassifiedReferences: Sendable {
    /// The owner exists and is not waiting for its dependents.
    var solid: [OwnerReference] = []
    /// The owner does not exist (or another object has its name).
    var dangling: [OwnerReference] = []
    /// The owner is being deleted in the foreground.
    var waitingForDependentsDeletion: [OwnerReference] = []
}

/// The workers' logic (upstream's `attemptToDeleteItem` and `attemptToOrphanWorker`): every decision is
/// checked against the server, never taken from the graph alone.
extension CollectorRun {
    func attemptToDelete(uid: String) async -> AttemptOutcome {
        guard let item = graph.withLock({ $0.node(uid) }) else { return .forget }
        do {
            let virtualDeleteEnqueued = try await attemptToDeleteItem(item)
            if virtualDeleteEnqueued { return .forget }
            // Not yet seen by an informer: check again until it is (or is found missing).
            if graph.withLock({ $0.node(uid)?.virtual }) == true { return .requeue }
            return .forget
        } catch CollectorError.namespacedOwnerOfClusterScopedObject {
            logger.info("cluster-scoped object names a namespaced owner; ignored", metadata: ["item": "\(item.identity)"])
            return .forget
        } catch {
            if !Task.isCancelled {
                logger.info("error syncing item", metadata: ["item": "\(item.identity)", "error": "\(error)"])
            }
            return .requeue
        }
    }

    /// Deletes the item if all its owners are gone, removes references to owners that are gone if some
    /// remain, or finishes a foreground deletion. Returns true when it found the item missing and told
    /// the graph so.
    func attemptToDeleteItem(_ item: GraphNode) async throws -> Bool {
        // Being deleted is a one-way trip: wait for the deletion, then handle the dependents.
        if item.beingDeleted && !item.deletingDependents { return false }
        guard let object = try await getObject(item.identity) else {
            enqueueVirtualDelete(item.identity)
            return true
        }
        let latest = ObjectMetadata(object: object)
        guard latest.uid == item.identity.uid else {
            enqueueVirtualDelete(item.identity)
            return true
        }
        if item.deletingDependents {
            try await processDeletingDependents(item)
            return false
        }
        guard !latest.ownerReferences.isEmpty else { return false }
        let references = try await classify(item, latest.ownerReferences)
        let uid = item.identity.uid
        if !references.solid.isEmpty {
            guard !references.dangling.isEmpty || !references.waitingForDependentsDeletion.isEmpty else { return false }
            // An owner waiting for its dependents must not wait for one that has another, solid owner.
            let stale = Set((references.dangling + references.waitingForDependentsDeletion).map(\.uid))
            try await removeOwnerReferences(item.identity, ownerUIDs: stale)
            return false
        }
        let dependents = graph.withLock { $0.dependents(of: uid) }
        let policy: String
        if !references.waitingForDependentsDeletion.isEmpty && !dependents.isEmpty {
            if dependents.contains(where: \.deletingDependents) {
                // A dependent of this item is also deleting in the foreground: a possible cycle, so stop
                // blocking the owners (upstream's conservative cycle breaking).
                try await unblockOwnerReferences(item.identity)
            }
            policy = "Foreground"
        } else if latest.hasFinalizer(GarbageCollectionFinalizer.orphan) {
            policy = "Orphan"
        } else if latest.hasFinalizer(GarbageCollectionFinalizer.foregroundDeletion) {
            policy = "Foreground"
        } else {
            policy = "Background"
        }
        do {
            try await deleteObject(item.identity, resourceVersion: latest.resourceVersion, owners: latest.ownerReferences,
                                   policy: policy)
        } catch let error as APIError where error.isNotFound {
            enqueueVirtualDelete(item.identity)
            return true
        }
        return false
    }

    /// An owner deleting in the foreground: done once no dependent blocks it (then its finalizer goes);
    /// otherwise the blocking dependents are deleted first.
    func processDeletingDependents(_ item: GraphNode) async throws {
        let blocking = graph.withLock { $0.blockingDependents(of: item.identity.uid) }
        if blocking.isEmpty {
            try await removeFinalizer(item.identity, GarbageCollectionFinalizer.foregroundDeletion)
            return
        }
        for dependent in blocking where !dependent.deletingDependents {
            await deleteQueue.add(dependent.identity.uid)
        }
    }

    /// Asks the server about each owner (or the absent-owner cache).
    func classify(_ item: GraphNode, _ references: [OwnerReference]) async throws -> ClassifiedReferences {
        var result = ClassifiedReferences()
        for reference in references {
            if let owner = try await liveOwner(reference, of: item) {
                if owner.isBeingDeleted && owner.hasFinalizer(GarbageCollectionFinalizer.foregroundDeletion) {
                    result.waitingForDependentsDeletion.append(reference)
                } else {
                    result.solid.append(reference)
                }
            } else {
                result.dangling.append(reference)
            }
        }
        return result
    }

    /// The owner `reference` names, if it exists with that uid (upstream's `isDangling`).
    func liveOwner(_ reference: OwnerReference, of item: GraphNode) async throws -> ObjectMetadata? {
        var key = ObjectIdentity(reference.coordinates, namespace: "")
        if absentOwners.withLock({ $0.contains(key) }) { return nil }
        key.namespace = item.identity.namespace
        if absentOwners.withLock({ $0.contains(key) }) { return nil }
        let resource = try await resource(apiVersion: reference.apiVersion, kind: reference.kind)
        if !resource.namespaced { key.namespace = "" }
        if item.identity.namespace.isEmpty && resource.namespaced {
            throw CollectorError.namespacedOwnerOfClusterScopedObject
        }
        let owner: JSONValue
        do {
            owner = try await client.json(.GET, resource.objectPath(name: reference.name, namespace: item.identity.namespace))
        } catch let error as APIError where error.isNotFound {
            absentOwners.withLock { $0.add(key) }
            return nil
        }
        let metadata = ObjectMetadata(object: owner)
        guard metadata.uid == reference.uid else {
            absentOwners.withLock { $0.add(key) }
            return nil
        }
        return metadata
    }

    /// Removes the references to an owner being deleted with `orphan` from its dependents, then the finalizer.
    func attemptToOrphan(uid: String) async -> AttemptOutcome {
        guard let owner = graph.withLock({ $0.node(uid) }) else { return .forget }
        let dependents = graph.withLock { $0.dependents(of: uid) }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for dependent in dependents {
                    group.addTask { try await self.removeOwnerReferences(dependent.identity, ownerUIDs: [uid]) }
                }
                try await group.waitForAll()
            }
            try await removeFinalizer(owner.identity, GarbageCollectionFinalizer.orphan)
            return .forget
        } catch {
            if !Task.isCancelled {
                logger.info("orphaning dependents failed", metadata: ["owner": "\(owner.identity)", "error": "\(error)"])
            }
            return .requeue
        }
    }
}
