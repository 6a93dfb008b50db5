import DequeModule

/// Owners confirmed not to exist, so their other dependents need no GET to learn it (upstream's
/// `ReferenceCache`, an LRU of 500). Evicts the oldest entry past capacity.
///
/// Invariant: `order` holds each member of `members` exactly once, oldest first.
struct AbsentOwnerCache: Sendable {
    let capacity: Int
    private var members = Set<ObjectIdentity>()
    private var order = Deque<ObjectIdentity>()

    init(capacity: Int = 500) { self.capacity = max(1, capacity) }

    mutating func add(_ identity: ObjectIdentity) {
        guard members.insert(identity).inserted else { return }
        order.append(identity)
        while order.count > capacity, let oldest = order.popFirst() { members.remove(oldest) }
    }

    func contains(_ identity: ObjectIdentity) -> Bool { members.contains(identity) }

    var count: Int { members.count }
}
