import SkiffAPI
import Synchronization

/// What a watch stream hands to the HTTP writer.
enum WatchDelivery: Sendable {
    /// An event of the given wire type for the object (already encoded with its resourceVersion).
    case event(type: String, object: CachedObject)
    /// A BOOKMARK carrying only a resourceVersion; `initialEventsEnd` marks the end of initial events.
    case bookmark(revision: Int64, initialEventsEnd: Bool)
    /// An ERROR event carrying a Status, then the stream ends.
    case error(APIError)
}

/// Which objects a watch wants (namespace, label and field selectors, already compiled).
struct WatchFilter: Sendable {
    let namespace: String?
    let name: String?
    let matchesSelectors: @Sendable (CachedObject) -> Bool
    /// Whether no label or field selector narrows the result (lists then report remainingItemCount).
    var isEverything: Bool = false

    static let everything = WatchFilter(namespace: nil, name: nil, matchesSelectors: { _ in true }, isEverything: true)

    func matches(_ object: CachedObject) -> Bool {
        if let namespace, object.namespace != namespace { return false }
        if let name, object.name != name { return false }
        return matchesSelectors(object)
    }
}

/// One watch's subscription to a resource cache: filters events as upstream's cacheWatcher does (an
/// object that stops matching is reported DELETED, one that starts matching ADDED) and buffers them
/// for the writer. A watcher too slow to keep up is ended; its client re-watches from its last revision.
/// Its buffer is bounded in events and in bytes, so a client that stops reading holds little memory.
final class CacheWatcher: Sendable {
    /// Undelivered bytes past which a watcher is ended (upstream ends a watcher whose channel stays full).
    static let byteCapacity = 16 * 1024 * 1024

    let id: UInt64
    let filter: WatchFilter
    let continuation: AsyncStream<WatchDelivery>.Continuation
    /// Bytes of live events yielded and not yet taken by the writer. The initial events (a snapshot or a
    /// backlog, shared with the cache) are not counted: they come first, and `initialEvents` says how many
    /// are still queued.
    private let pendingBytes = Atomic<Int>(0)
    private let initialEvents = Atomic<Int>(0)
    private let overflowed = Atomic<Bool>(false)
    /// Called once when the watcher is ended for falling behind (the writer may be stuck on a client that
    /// does not read: closing its connection frees it).
    private let onOverflow: Mutex<(@Sendable () -> Void)?>

    init(id: UInt64, filter: WatchFilter, continuation: AsyncStream<WatchDelivery>.Continuation,
         onOverflow: (@Sendable () -> Void)? = nil) {
        self.id = id
        self.filter = filter
        self.continuation = continuation
        self.onOverflow = Mutex(onOverflow)
    }

    /// Makes a watcher and the stream its writer reads (bounded at `capacity` undelivered events).
    static func make(id: UInt64, filter: WatchFilter, capacity: Int) -> (CacheWatcher, AsyncStream<WatchDelivery>) {
        let (stream, continuation) = AsyncStream<WatchDelivery>.makeStream(bufferingPolicy: .bufferingOldest(capacity))
        return (CacheWatcher(id: id, filter: filter, continuation: continuation), stream)
    }

    /// What to do when this watcher overflows (set before events flow; replaced by a later call).
    func whenOverflowing(_ action: @escaping @Sendable () -> Void) {
        onOverflow.withLock { $0 = action }
        if overflowed.load(ordering: .acquiring) { overflow() }
    }

    /// The writer took `delivery` off the stream.
    func taken(_ delivery: WatchDelivery) {
        guard case .event(_, let object) = delivery else { return }
        if initialEvents.load(ordering: .relaxed) > 0 {
            initialEvents.subtract(1, ordering: .relaxed)
        } else {
            pendingBytes.subtract(object.json.count, ordering: .relaxed)
        }
    }

    private func overflow() {
        overflowed.store(true, ordering: .releasing)
        continuation.finish()
        let action = onOverflow.withLock { action in
            defer { action = nil }
            return action
        }
        action?()
    }

    /// `initial`: part of the snapshot or backlog a new watch starts with (not counted against the byte limit).
    func deliver(_ event: CacheEvent, initial: Bool = false) {
        let current = filter.matches(event.object)
        let before = event.previous.map(filter.matches) ?? false
        let delivery: WatchDelivery
        switch event.kind {
        case .added:
            guard current else { return }
            delivery = .event(type: "ADDED", object: event.object)
        case .modified:
            if current && before {
                delivery = .event(type: "MODIFIED", object: event.object)
            } else if current {
                delivery = .event(type: "ADDED", object: event.object)
            } else if before, let previous = event.previous {
                // Upstream reports the previous content at the new resourceVersion.
                guard let moved = previous.withRevision(event.revision) else { return }
                delivery = .event(type: "DELETED", object: moved)
            } else {
                return
            }
        case .deleted:
            guard current else { return }
            delivery = .event(type: "DELETED", object: event.object)
        }
        send(delivery, initial: initial)
    }

    func send(_ delivery: WatchDelivery, initial: Bool = false) {
        if initial {
            if case .dropped = continuation.yield(delivery) { overflow() } else { initialEvents.add(1, ordering: .relaxed) }
            return
        }
        if case .event(_, let object) = delivery {
            let pending = pendingBytes.add(object.json.count, ordering: .relaxed).newValue
            if pending > Self.byteCapacity {
                overflow()
                return
            }
        }
        if case .dropped = continuation.yield(delivery) {
            overflow()
        }
    }

    /// Ends the stream (cache reset or shutdown).
    func end() { continuation.finish() }

    /// Ends the stream with an ERROR event.
    func fail(_ error: APIError) {
        continuation.yield(.error(error))
        continuation.finish()
    }
}

extension CachedObject {
    /// This version's content re-encoded with another resourceVersion.
    func withRevision(_ revision: Int64) -> CachedObject? {
        guard var object = try? parsed() else { return nil }
        object.setValue(.string(String(revision)), at: ["metadata", "resourceVersion"])
        return CachedObject(key: key, namespace: namespace, name: name, revision: revision, json: object.serialized(),
                            labels: labels, fields: fields)
    }
}
