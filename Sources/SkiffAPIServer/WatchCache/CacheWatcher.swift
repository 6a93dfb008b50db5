import SkiffAPI

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
final class CacheWatcher: Sendable {
    let id: UInt64
    let filter: WatchFilter
    let continuation: AsyncStream<WatchDelivery>.Continuation

    init(id: UInt64, filter: WatchFilter, continuation: AsyncStream<WatchDelivery>.Continuation) {
        self.id = id
        self.filter = filter
        self.continuation = continuation
    }

    /// Makes a watcher and the stream its writer reads (bounded at `capacity` undelivered events).
    static func make(id: UInt64, filter: WatchFilter, capacity: Int) -> (CacheWatcher, AsyncStream<WatchDelivery>) {
        let (stream, continuation) = AsyncStream<WatchDelivery>.makeStream(bufferingPolicy: .bufferingOldest(capacity))
        return (CacheWatcher(id: id, filter: filter, continuation: continuation), stream)
    }

    func deliver(_ event: CacheEvent) {
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
        send(delivery)
    }

    func send(_ delivery: WatchDelivery) {
        if case .dropped = continuation.yield(delivery) {
            continuation.finish()
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
