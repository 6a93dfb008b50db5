import Synchronization

/// What the SQLite store has committed, as watchers and readers see it: the current and compacted
/// revisions and the live subscribers. The writer advances it after each commit, in revision order.
///
/// Lock order: the hub's lock may be held while taking a subscription's, never the other way round.
final class WatchHub: Sendable {
    struct State {
        /// The last committed revision; every event up to it has been published.
        var revision: Int64
        var compacted: Int64
        var subscribers: [UInt64: WatchSubscription] = [:]
        var nextID: UInt64 = 0
        var closed = false
    }

    enum Subscribe {
        /// Live events after `replayUpTo` will reach the subscription; history up to it is in the table.
        case subscribed(WatchSubscription, replayUpTo: Int64)
        case failed(StoreError)
        case closed
    }

    let state: Mutex<State>
    /// Events a subscription may hold before it is ended as too slow.
    let bufferLimit: Int

    init(revision: Int64, compacted: Int64, bufferLimit: Int) {
        state = Mutex(State(revision: revision, compacted: compacted))
        self.bufferLimit = bufferLimit
    }

    var revision: Int64 { state.withLock { $0.revision } }
    var compacted: Int64 { state.withLock { $0.compacted } }

    /// Registers a watcher of `prefix` for changes after `revision`.
    func subscribe(prefix: String, after revision: Int64) -> Subscribe {
        state.withLock { state -> Subscribe in
            if state.closed { return .closed }
            if revision < state.compacted {
                return .failed(StoreError(.compacted, compactedRevision: state.compacted,
                                          message: "required revision \(revision) has been compacted"))
            }
            let id = state.nextID
            state.nextID += 1
            let subscription = WatchSubscription(id: id, prefix: prefix, limit: bufferLimit)
            state.subscribers[id] = subscription
            return .subscribed(subscription, replayUpTo: state.revision)
        }
    }

    func unsubscribe(_ id: UInt64) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: id) }
    }

    /// Makes a committed batch visible: advances the revision and hands the events to matching subscribers.
    func publish(_ events: [StoreEvent], revision: Int64) {
        var waiters: [CheckedContinuation<Void, Never>] = []
        state.withLock { state in
            state.revision = revision
            guard !events.isEmpty else { return }
            var slow: [UInt64] = []
            for (id, subscription) in state.subscribers {
                let delivery = subscription.deliver(events)
                if let waiter = delivery.waiter { waiters.append(waiter) }
                if delivery.overflowed { slow.append(id) }
            }
            for id in slow { state.subscribers[id] = nil }
        }
        for waiter in waiters { waiter.resume() }
    }

    func setCompacted(_ revision: Int64) {
        state.withLock { $0.compacted = max($0.compacted, revision) }
    }

    /// Ends every watch (normally) and refuses new ones.
    func close() {
        let subscribers = state.withLock { state -> [WatchSubscription] in
            state.closed = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscription in subscribers { subscription.finish(nil) }
    }
}

/// One watcher's queue of live events, filled by the writer and drained by the watcher's task.
final class WatchSubscription: Sendable {
    let id: UInt64
    let prefix: String
    let limit: Int

    struct State {
        var events = EventQueue()
        var waiter: CheckedContinuation<Void, Never>?
        /// Set when the subscription ended: nil error for a normal end (the store closed).
        var ended: StoreError?? = nil
        var cancelled = false
    }

    let state = Mutex(State())

    init(id: UInt64, prefix: String, limit: Int) {
        self.id = id
        self.prefix = prefix
        self.limit = limit
    }

    /// Appends the matching events; returns a waiting consumer to wake, and whether the queue overflowed
    /// (the subscription is then ended as too slow).
    func deliver(_ events: [StoreEvent]) -> (waiter: CheckedContinuation<Void, Never>?, overflowed: Bool) {
        state.withLock { state in
            if state.ended != nil { return (nil, true) }
            var added = false
            for event in events where KeyRange.key(event.value.key, hasPrefix: prefix) {
                if state.events.count >= limit {
                    state.ended = .some(StoreError(.unavailable, message: "watcher fell behind"))
                    state.events.removeAll()
                    defer { state.waiter = nil }
                    return (state.waiter, true)
                }
                state.events.append(event)
                added = true
            }
            guard added, let waiter = state.waiter else { return (nil, false) }
            state.waiter = nil
            return (waiter, false)
        }
    }

    /// Ends the subscription after the queued events: normally when `error` is nil.
    func finish(_ error: StoreError?) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.ended == nil { state.ended = .some(error) }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// The next live event; `nil` when the subscription ended normally or the task was cancelled.
    func next() async throws(StoreError) -> StoreEvent? {
        while true {
            let ready = state.withLock { state -> Result<StoreEvent?, StoreError>? in
                if let event = state.events.popFirst() { return .success(event) }
                if let ended = state.ended {
                    if let error = ended { return .failure(error) }
                    return .success(nil)
                }
                if state.cancelled { return .success(nil) }
                return nil
            }
            if let ready { return try ready.get() }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if !state.events.isEmpty || state.ended != nil || state.cancelled { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                    state.cancelled = true
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume()
            }
        }
    }
}

/// A FIFO of events that drops spent slots in bulk.
struct EventQueue {
    private var items: [StoreEvent] = []
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { head == items.count }

    mutating func append(_ event: StoreEvent) { items.append(event) }

    mutating func popFirst() -> StoreEvent? {
        guard head < items.count else { return nil }
        let event = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: items.count <= 1024)
            head = 0
        } else if head >= 1024 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return event
    }

    mutating func removeAll() {
        items = []
        head = 0
    }
}
