import Synchronization

/// A store in memory with the same semantics as the persistent ones (revisions, CAS, history for
/// watch, compaction). For tests and `--datastore memory`; nothing survives the process.
public final class MemoryStore: Store {
    struct State {
        /// Current values by key.
        var values: [String: StoredValue] = [:]
        /// Every change after `compacted`, in revision order.
        var history: [StoreEvent] = []
        var revision: Int64 = 0
        var compacted: Int64 = 0
        var watchers: [UInt64: Watcher] = [:]
        var nextWatcher: UInt64 = 0
        var closed = false
    }

    struct Watcher {
        var prefix: String
        var continuation: AsyncThrowingStream<StoreEvent, any Error>.Continuation
    }

    /// Buffered events per watcher before it is ended as too slow.
    let watchBuffer: Int
    let state = Mutex(State())

    public init(watchBuffer: Int = 100_000) {
        self.watchBuffer = watchBuffer
    }

    public func currentRevision() async throws(StoreError) -> Int64 { state.withLock { $0.revision } }

    public func compactedRevision() async throws(StoreError) -> Int64 { state.withLock { $0.compacted } }

    public func get(_ key: String) async throws(StoreError) -> StoredValue? { state.withLock { $0.values[key] } }

    public func count(prefix: String) async throws(StoreError) -> Int64 {
        state.withLock { state in Int64(state.values.keys.reduce(0) { $0 + ($1.hasPrefix(prefix) ? 1 : 0) }) }
    }

    public func list(prefix: String, startAfter: String?, limit: Int, revision: Int64) async throws(StoreError)
        -> StoreListResult
    {
        try state.withLock { state throws(StoreError) -> StoreListResult in
            var values: [StoredValue]
            let at: Int64
            if revision == 0 || revision == state.revision {
                values = state.values.values.filter { $0.key.hasPrefix(prefix) }
                at = state.revision
            } else {
                guard revision >= state.compacted else {
                    throw StoreError(.compacted, compactedRevision: state.compacted,
                                     message: "required revision \(revision) has been compacted")
                }
                guard revision <= state.revision else {
                    throw StoreError(.invalid, message: "required revision \(revision) is a future revision")
                }
                values = Self.snapshot(state, at: revision, prefix: prefix)
                at = revision
            }
            values.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            if let startAfter {
                values.removeAll { !startAfter.utf8.lexicographicallyPrecedes($0.key.utf8) }
            }
            var more = false
            var remaining: Int64? = nil
            if limit > 0, values.count > limit {
                more = true
                remaining = Int64(values.count - limit)
                values.removeLast(values.count - limit)
            }
            return StoreListResult(values: values, revision: at, hasMore: more, remainingCount: remaining)
        }
    }

    /// The values at `revision`: today's values, undone event by event back to it.
    static func snapshot(_ state: State, at revision: Int64, prefix: String) -> [StoredValue] {
        var values = state.values.filter { $0.key.hasPrefix(prefix) }
        for event in state.history.reversed() where event.revision > revision && event.value.key.hasPrefix(prefix) {
            switch event.kind {
            case .created: values[event.value.key] = nil
            case .updated, .deleted: values[event.value.key] = event.previous
            }
        }
        return Array(values.values)
    }

    public func create(_ key: String, value: [UInt8]) async throws(StoreError) -> Int64 {
        try commit { state throws(StoreError) -> StoreEvent in
            if state.values[key] != nil { throw StoreError(.keyExists, key: key, message: "key \(key) already exists") }
            let revision = state.revision + 1
            let stored = StoredValue(key: key, value: value, createRevision: revision, modRevision: revision)
            state.values[key] = stored
            return StoreEvent(kind: .created, value: stored, previous: nil)
        }
    }

    public func update(_ key: String, value: [UInt8], expectedRevision: Int64) async throws(StoreError) -> Int64 {
        try commit { state throws(StoreError) -> StoreEvent in
            guard let current = state.values[key] else { throw StoreError(.keyNotFound, key: key, message: "key \(key) not found") }
            guard current.modRevision == expectedRevision else {
                throw StoreError(.conflict, key: key, current: current,
                                 message: "key \(key) is at revision \(current.modRevision), not \(expectedRevision)")
            }
            let revision = state.revision + 1
            let stored = StoredValue(key: key, value: value, createRevision: current.createRevision, modRevision: revision)
            state.values[key] = stored
            return StoreEvent(kind: .updated, value: stored, previous: current)
        }
    }

    public func delete(_ key: String, expectedRevision: Int64?) async throws(StoreError) -> StoredValue {
        let event = try commitEvent { state throws(StoreError) -> StoreEvent in
            guard let current = state.values[key] else { throw StoreError(.keyNotFound, key: key, message: "key \(key) not found") }
            if let expectedRevision, current.modRevision != expectedRevision {
                throw StoreError(.conflict, key: key, current: current,
                                 message: "key \(key) is at revision \(current.modRevision), not \(expectedRevision)")
            }
            let revision = state.revision + 1
            state.values[key] = nil
            var last = current
            last.modRevision = revision
            return StoreEvent(kind: .deleted, value: last, previous: current)
        }
        return event.value
    }

    private func commit(_ change: (inout State) throws(StoreError) -> StoreEvent) throws(StoreError) -> Int64 {
        try commitEvent(change).revision
    }

    /// Applies one change under the lock, records it, and hands it to the watchers of its key.
    private func commitEvent(_ change: (inout State) throws(StoreError) -> StoreEvent) throws(StoreError) -> StoreEvent {
        try state.withLock { state throws(StoreError) -> StoreEvent in
            if state.closed { throw StoreError(.unavailable, message: "store is closed") }
            let event = try change(&state)
            state.revision = event.revision
            state.history.append(event)
            var slow: [UInt64] = []
            for (id, watcher) in state.watchers where event.value.key.hasPrefix(watcher.prefix) {
                if case .dropped = watcher.continuation.yield(event) { slow.append(id) }
            }
            for id in slow {
                state.watchers[id]?.continuation.finish(throwing: StoreError(.unavailable, message: "watcher fell behind"))
                state.watchers[id] = nil
            }
            return event
        }
    }

    public func watch(prefix: String, afterRevision revision: Int64) -> AsyncThrowingStream<StoreEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<StoreEvent, any Error>.makeStream(bufferingPolicy: .bufferingOldest(watchBuffer))
        let id: UInt64? = state.withLock { state -> UInt64? in
            if state.closed {
                continuation.finish()
                return nil
            }
            if revision < state.compacted {
                continuation.finish(throwing: StoreError(.compacted, compactedRevision: state.compacted,
                                                         message: "required revision \(revision) has been compacted"))
                return nil
            }
            // History first, under the lock, so no live event can come before it.
            for event in state.history where event.revision > revision && event.value.key.hasPrefix(prefix) {
                if case .dropped = continuation.yield(event) {
                    continuation.finish(throwing: StoreError(.unavailable, message: "watcher fell behind"))
                    return nil
                }
            }
            let id = state.nextWatcher
            state.nextWatcher += 1
            state.watchers[id] = Watcher(prefix: prefix, continuation: continuation)
            return id
        }
        if let id {
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
            }
        }
        return stream
    }

    public func compact(revision: Int64) async throws(StoreError) {
        try state.withLock { state throws(StoreError) in
            guard revision <= state.revision else {
                throw StoreError(.invalid, message: "cannot compact to future revision \(revision)")
            }
            guard revision > state.compacted else { return }
            state.compacted = revision
            state.history.removeAll { $0.revision <= revision }
        }
    }

    public func close() async {
        let watchers = state.withLock { state -> [Watcher] in
            state.closed = true
            let all = Array(state.watchers.values)
            state.watchers = [:]
            return all
        }
        for watcher in watchers { watcher.continuation.finish() }
    }
}
