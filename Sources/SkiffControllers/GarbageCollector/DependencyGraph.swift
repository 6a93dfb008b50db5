/// Which object is meant: an owner reference's coordinates plus the namespace (upstream's `objectReference`).
public struct ObjectIdentity: Sendable, Hashable, CustomStringConvertible {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    /// Empty for cluster-scoped objects (and, until observed, for owners known only by reference).
    public var namespace: String

    public init(apiVersion: String, kind: String, name: String, uid: String, namespace: String) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.namespace = namespace
    }

    init(_ reference: OwnerReference, namespace: String) {
        self.init(apiVersion: reference.apiVersion, kind: reference.kind, name: reference.name, uid: reference.uid,
                  namespace: namespace)
    }

    var coordinates: OwnerReference { OwnerReference(apiVersion: apiVersion, kind: kind, name: name, uid: uid) }

    public var description: String {
        "[\(apiVersion)/\(kind), namespace: \(namespace), name: \(name), uid: \(uid)]"
    }
}

/// One object in the graph: its owners as its metadata lists them, and the uids of objects naming it as owner.
struct GraphNode: Sendable, Equatable {
    var identity: ObjectIdentity
    var owners: [OwnerReference]
    var dependents: Set<String>
    /// Known only because a dependent names it; not (yet) seen by an informer.
    var virtual: Bool
    /// Has a deletionTimestamp (a one-way trip).
    var beingDeleted: Bool
    /// Being deleted in the foreground: waits for its blocking dependents to go.
    var deletingDependents: Bool
}

/// A change the graph is told about.
enum GraphChange: Sendable {
    /// An informer saw the object added or updated (`old` is the previous state it knew, if any).
    case observed(ObjectMetadata, old: ObjectMetadata?, apiVersion: String, kind: String)
    /// An informer saw the object deleted.
    case deleted(ObjectMetadata, apiVersion: String, kind: String)
    /// A worker found that nothing with this identity exists on the server.
    case virtualDelete(ObjectIdentity)
}

/// What the graph asks the collector to do after a change.
enum GraphAction: Sendable, Hashable {
    /// Check whether the object (by uid) should be deleted, or whether it waits on dependents.
    case attemptToDelete(String)
    /// The same, after the queue's backoff.
    case attemptToDeleteRateLimited(String)
    /// Remove the owner reference to this object from its dependents, then its `orphan` finalizer.
    case attemptToOrphan(String)
    /// This owner is confirmed gone: remember it so dependents need no GET to learn it.
    case ownerAbsent(ObjectIdentity)
}

/// The owner→dependents graph of every watched object (upstream's `GraphBuilder.uidToNode` and
/// `processGraphChanges`), as a value: `apply` takes one change and returns the work it calls for,
/// doing no I/O, so the logic is tested with in-memory inputs.
///
/// Invariant: a node's uid is in its owner's `dependents` iff the node is in the graph and lists that
/// owner's uid in `owners` (owners not seen yet are virtual nodes).
struct DependencyGraph: Sendable {
    private(set) var nodes: [String: GraphNode] = [:]

    func node(_ uid: String) -> GraphNode? { nodes[uid] }

    var count: Int { nodes.count }

    /// The dependents of `uid` that are in the graph.
    func dependents(of uid: String) -> [GraphNode] {
        (nodes[uid]?.dependents ?? []).compactMap { nodes[$0] }
    }

    /// Dependents whose reference to `uid` has `blockOwnerDeletion: true`.
    func blockingDependents(of uid: String) -> [GraphNode] {
        dependents(of: uid).filter { dependent in
            dependent.owners.contains { $0.uid == uid && $0.blocksOwnerDeletion }
        }
    }

    mutating func apply(_ change: GraphChange) -> [GraphAction] {
        var actions: [GraphAction] = []
        switch change {
        case .observed(let metadata, let old, let apiVersion, let kind):
            guard !metadata.uid.isEmpty else { return [] }
            let identity = ObjectIdentity(apiVersion: apiVersion, kind: kind, name: metadata.name, uid: metadata.uid,
                                          namespace: metadata.namespace)
            markObserved(identity, &actions)
            if nodes[metadata.uid] != nil {
                update(identity, metadata, &actions)
            } else {
                nodes[metadata.uid] = GraphNode(
                    identity: identity, owners: metadata.ownerReferences, dependents: [], virtual: false,
                    beingDeleted: metadata.isBeingDeleted,
                    deletingDependents: metadata.isBeingDeleted && metadata.hasFinalizer(GarbageCollectionFinalizer.foregroundDeletion))
                addDependent(metadata.uid, to: metadata.ownerReferences, &actions)
            }
            processTransitions(old: old, new: metadata, &actions)
        case .deleted(let metadata, let apiVersion, let kind):
            remove(ObjectIdentity(apiVersion: apiVersion, kind: kind, name: metadata.name, uid: metadata.uid,
                                  namespace: metadata.namespace), virtual: false, &actions)
        case .virtualDelete(let identity):
            remove(identity, virtual: true, &actions)
        }
        return actions
    }

    // MARK: - Observations

    /// A virtual node is now seen for real: take the observed identity; dependents that named it with
    /// other coordinates get re-checked.
    private mutating func markObserved(_ identity: ObjectIdentity, _ actions: inout [GraphAction]) {
        guard var existing = nodes[identity.uid], existing.virtual else { return }
        if existing.identity != identity {
            let (_, mismatched) = partition(existing.dependents, by: identity)
            actions += mismatched.map { .attemptToDelete($0) }
            existing.identity = identity
        }
        existing.virtual = false
        nodes[identity.uid] = existing
    }

    private mutating func update(_ identity: ObjectIdentity, _ metadata: ObjectMetadata, _ actions: inout [GraphAction]) {
        let uid = identity.uid
        guard var node = nodes[uid] else { return }
        node.identity.apiVersion = identity.apiVersion
        node.identity.kind = identity.kind
        let (added, removed, changed) = Self.referenceDiffs(old: node.owners, new: metadata.ownerReferences)
        if metadata.isBeingDeleted { node.beingDeleted = true }
        node.owners = metadata.ownerReferences
        nodes[uid] = node
        if !added.isEmpty || !removed.isEmpty || !changed.isEmpty {
            // A blocking reference that went away may be what a foreground-deleting owner waits for.
            for reference in removed where reference.blocksOwnerDeletion && nodes[reference.uid] != nil {
                actions.append(.attemptToDelete(reference.uid))
            }
            for (old, new) in changed where old.blocksOwnerDeletion && !new.blocksOwnerDeletion && nodes[new.uid] != nil {
                actions.append(.attemptToDelete(new.uid))
            }
            addDependent(uid, to: added, &actions)
            for reference in removed { nodes[reference.uid]?.dependents.remove(uid) }
        }
    }

    /// Adds `uid` to each owner's dependents, making virtual nodes for owners not seen yet (and asking
    /// for them to be checked); a reference that disagrees with an observed owner gets the dependent checked.
    private mutating func addDependent(_ uid: String, to owners: [OwnerReference], _ actions: inout [GraphAction]) {
        guard let dependent = nodes[uid] else { return }
        var potentiallyInvalid = false
        for owner in owners {
            // Inserted in place: a copy of the node would share its set, and the insert would then copy all of
            // it, once per dependent (10,000 pods of one ReplicaSet made that quadratic).
            guard nodes[owner.uid]?.dependents.insert(uid) != nil, let ownerNode = nodes[owner.uid] else {
                nodes[owner.uid] = GraphNode(identity: ObjectIdentity(owner, namespace: dependent.identity.namespace),
                                             owners: [], dependents: [uid], virtual: true, beingDeleted: false,
                                             deletingDependents: false)
                actions.append(.attemptToDelete(owner.uid))
                continue
            }
            if potentiallyInvalid { continue }
            let ownerNamespaced = !ownerNode.identity.namespace.isEmpty
            if ownerNamespaced && ownerNode.identity.namespace != dependent.identity.namespace {
                potentiallyInvalid = true
            } else if owner.coordinates != ownerNode.identity.coordinates {
                potentiallyInvalid = true
            } else if !ownerNamespaced && ownerNode.virtual && ownerNode.identity.namespace != dependent.identity.namespace {
                potentiallyInvalid = true
            }
        }
        if potentiallyInvalid { actions.append(.attemptToDelete(uid)) }
    }

    /// Starting deletion with `orphan` asks for orphaning; with `foregroundDeletion`, for the dependents
    /// to be deleted first.
    private mutating func processTransitions(old: ObjectMetadata?, new: ObjectMetadata, _ actions: inout [GraphAction]) {
        func starts(_ finalizer: String) -> Bool {
            guard new.isBeingDeleted, new.hasFinalizer(finalizer) else { return false }
            guard let old else { return true }
            return !old.isBeingDeleted || !old.hasFinalizer(finalizer)
        }
        if starts(GarbageCollectionFinalizer.orphan) {
            actions.append(.attemptToOrphan(new.uid))
            return
        }
        if starts(GarbageCollectionFinalizer.foregroundDeletion), var node = nodes[new.uid] {
            node.deletingDependents = true
            nodes[new.uid] = node
            actions += node.dependents.sorted().map { .attemptToDelete($0) }
            actions.append(.attemptToDelete(new.uid))
        }
    }

    // MARK: - Deletions

    private mutating func remove(_ identity: ObjectIdentity, virtual: Bool, _ actions: inout [GraphAction]) {
        guard let existing = nodes[identity.uid] else { return }
        var removeNode = true
        if virtual {
            if existing.virtual {
                // Dependents may disagree on what this owner is; only those matching the identity found
                // absent are orphans of it.
                let (matching, mismatched) = partition(existing.dependents, by: identity)
                if !mismatched.isEmpty {
                    removeNode = false
                    if !matching.isEmpty {
                        actions.append(.ownerAbsent(identity))
                        actions += matching.map { .attemptToDelete($0) }
                    }
                    if existing.identity == identity, let replacement = alternateIdentity(mismatched, absent: identity) {
                        nodes[identity.uid]?.identity = replacement
                        actions.append(.attemptToDeleteRateLimited(identity.uid))
                    }
                }
            } else if existing.identity != identity {
                // The real object exists with other coordinates: keep it.
                removeNode = false
                let (matching, _) = partition(existing.dependents, by: identity)
                if !matching.isEmpty {
                    actions.append(.ownerAbsent(identity))
                    actions += matching.map { .attemptToDelete($0) }
                }
            }
        }
        guard removeNode else { return }
        nodes[identity.uid] = nil
        for owner in existing.owners { nodes[owner.uid]?.dependents.remove(identity.uid) }
        if !existing.dependents.isEmpty { actions.append(.ownerAbsent(identity)) }
        actions += existing.dependents.sorted().map { .attemptToDelete($0) }
        for owner in existing.owners where nodes[owner.uid]?.deletingDependents == true {
            // The owner may have been waiting for this dependent only.
            actions.append(.attemptToDelete(owner.uid))
        }
    }

    /// Splits dependents into those whose reference to `owner.uid` matches all of `owner`'s coordinates
    /// and those with a reference that does not (a dependent can be in both).
    func partition(_ dependents: Set<String>, by owner: ObjectIdentity) -> (matching: [String], mismatched: [String]) {
        var matching: [String] = []
        var mismatched: [String] = []
        for uid in dependents.sorted() {
            guard let dependent = nodes[uid] else { continue }
            var match = false
            var mismatch = false
            if !owner.namespace.isEmpty && owner.namespace != dependent.identity.namespace {
                mismatch = true
            } else {
                for reference in dependent.owners where reference.uid == owner.uid {
                    if reference.coordinates == owner.coordinates { match = true } else { mismatch = true }
                }
            }
            if match { matching.append(uid) }
            if mismatch { mismatched.append(uid) }
        }
        return (matching, mismatched)
    }

    /// Another identity the mismatched dependents give the absent owner's uid (the first, in a stable order).
    private func alternateIdentity(_ dependents: [String], absent: ObjectIdentity) -> ObjectIdentity? {
        var candidates = Set<ObjectIdentity>()
        for uid in dependents {
            guard let dependent = nodes[uid] else { continue }
            for reference in dependent.owners where reference.uid == absent.uid {
                var candidate = ObjectIdentity(reference.coordinates, namespace: dependent.identity.namespace)
                if absent.namespace.isEmpty && candidate.apiVersion == absent.apiVersion && candidate.kind == absent.kind {
                    candidate.namespace = ""
                }
                if candidate != absent { candidates.insert(candidate) }
            }
        }
        let order: (ObjectIdentity, ObjectIdentity) -> Bool = {
            ($0.kind, $0.apiVersion, $0.namespace, $0.name) < ($1.kind, $1.apiVersion, $1.namespace, $1.name)
        }
        let sorted = candidates.sorted(by: order)
        return sorted.first { order(absent, $0) } ?? sorted.first
    }

    /// References added, removed, and changed (same uid, other fields) between two lists.
    static func referenceDiffs(old: [OwnerReference], new: [OwnerReference])
        -> (added: [OwnerReference], removed: [OwnerReference], changed: [(OwnerReference, OwnerReference)])
    {
        var oldByUID: [String: OwnerReference] = [:]
        for reference in old { oldByUID[reference.uid] = reference }
        var added: [OwnerReference] = []
        var changed: [(OwnerReference, OwnerReference)] = []
        for reference in new {
            if let previous = oldByUID.removeValue(forKey: reference.uid) {
                if previous != reference { changed.append((previous, reference)) }
            } else {
                added.append(reference)
            }
        }
        let removed = old.filter { oldByUID[$0.uid] != nil }
        return (added, removed, changed)
    }
}
