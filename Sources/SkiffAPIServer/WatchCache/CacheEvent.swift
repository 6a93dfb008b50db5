/// A change as the watch cache records it.
struct CacheEvent: Sendable {
    enum Kind: Sendable {
        case added, modified, deleted

        /// The watch event type on the wire.
        var wireName: String {
            switch self {
            case .added: return "ADDED"
            case .modified: return "MODIFIED"
            case .deleted: return "DELETED"
            }
        }
    }

    let kind: Kind
    /// The new version; for a deletion, the last version carrying the deletion's revision.
    let object: CachedObject
    /// The version before this change (modified and deleted).
    let previous: CachedObject?

    var revision: Int64 { object.revision }
}

/// The most recent events of one resource, oldest first, bounded; what a watch from a recent
/// resourceVersion replays before it goes live.
struct EventWindow {
    /// Grows to `capacity`, then is used as a ring: idle resources (most of them) cost nothing.
    private var buffer: [CacheEvent] = []
    private var start = 0
    let capacity: Int
    /// Events after this revision are all in the window (it moves forward as old events are evicted).
    private(set) var coveredAfter: Int64

    init(capacity: Int, coveredAfter: Int64) {
        self.capacity = max(1, capacity)
        self.coveredAfter = coveredAfter
    }

    var count: Int { buffer.count }

    mutating func append(_ event: CacheEvent) {
        if buffer.count < capacity {
            buffer.append(event)
        } else {
            coveredAfter = buffer[start].revision
            buffer[start] = event
            start = (start + 1) % capacity
        }
    }

    /// Restarts the window after a relist at `revision`.
    mutating func reset(coveredAfter revision: Int64) {
        buffer = []
        start = 0
        coveredAfter = revision
    }

    /// Events with revision greater than `revision`, oldest first; `nil` when some of them were evicted.
    func events(after revision: Int64) -> [CacheEvent]? {
        guard revision >= coveredAfter else { return nil }
        var result: [CacheEvent] = []
        // Binary search would do; windows are small and watches from far back are rare.
        for i in 0..<count {
            let event = buffer[(start + i) % buffer.count]
            if event.revision > revision { result.append(event) }
        }
        return result
    }
}
