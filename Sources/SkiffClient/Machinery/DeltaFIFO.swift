import SkiffAPI
import DequeModule
import Synchronization

/// What happened to an object, as the reflector saw it.
public enum DeltaType: Sendable, Equatable {
    case added, updated, deleted
    /// Part of a relist (the object may or may not be new).
    case replaced
    /// A periodic resync: nothing changed, handlers get an update to re-check.
    case sync
}

/// One change to one object. For a deletion the reflector missed (the object vanished between
/// relists), `object` is the last state the cache knew (client-go's `DeletedFinalStateUnknown`).
public struct Delta<Object: InformerObject>: Sendable {
    public var type: DeltaType
    public var object: Object
    /// True when the deletion was inferred from a relist rather than seen.
    public var finalStateUnknown: Bool

    public init(type: DeltaType, object: Object, finalStateUnknown: Bool = false) {
        self.type = type
        self.object = object
        self.finalStateUnknown = finalStateUnknown
    }
}

/// A queue of keys, each with the list of deltas not yet processed (client-go's `DeltaFIFO`): a key
/// is queued once however many deltas pile up; consecutive deletions are collapsed. `pop` hands out
/// a key with all its deltas.
///
/// Invariant: a key is in `queue` iff it is in `items` (with at least one delta).
public final class DeltaFIFO<Object: InformerObject>: Sendable {
    struct State {
        var items: [String: [Delta<Object>]] = [:]
        var queue = Deque<String>()
        /// Set by the first replace or add; with `initialCount == 0` means the first list was processed.
        var populated = false
        /// Keys of the first list popped and not yet `processed()`.
        var initialInProcess = 0
        var initialCount = 0
        var closed = false
        var waiter: CheckedContinuation<(String, [Delta<Object>])?, Never>?
    }

    let state = Mutex(State())
    /// What the consumer has (the informer's indexer): consulted on replace to find deletions.
    let known: Indexer<Object>

    public init(known: Indexer<Object>) {
        self.known = known
    }

    public func add(_ object: Object) { enqueue(Delta(type: .added, object: object)) }
    public func update(_ object: Object) { enqueue(Delta(type: .updated, object: object)) }
    public func delete(_ object: Object) { enqueue(Delta(type: .deleted, object: object)) }

    /// Puts a complete list: a `replaced` delta for each object, and a deletion for every known object
    /// missing from it. Done under one lock so the first list's size is known exactly.
    public func replace(_ objects: [Object]) {
        var present = Set<String>()
        var deltas: [Delta<Object>] = []
        for object in objects {
            present.insert(object.objectKey)
            deltas.append(Delta(type: .replaced, object: object))
        }
        for key in known.keys where !present.contains(key) {
            if let last = known.get(key: key) { deltas.append(Delta(type: .deleted, object: last, finalStateUnknown: true)) }
        }
        let handOff = state.withLock { state -> ((String, [Delta<Object>]), CheckedContinuation<(String, [Delta<Object>])?, Never>)? in
            guard !state.closed else { return nil }
            // Keys still queued (not yet in the cache) that the new list lacks are deleted too, as
            // client-go's Replace does; otherwise a relist racing the consumer would lose the deletion.
            for (key, queued) in state.items where !present.contains(key) && known.get(key: key) == nil {
                if let last = queued.last, last.type != .deleted {
                    deltas.append(Delta(type: .deleted, object: last.object, finalStateUnknown: true))
                }
            }
            let firstTime = !state.populated
            state.populated = true
            var newlyQueued = 0
            for delta in deltas where Self.append(delta, to: &state) { newlyQueued += 1 }
            if firstTime { state.initialCount = newlyQueued }
            return Self.handOff(&state)
        }
        if let (item, waiter) = handOff { waiter.resume(returning: item) }
    }

    /// A `sync` delta for every known object not already queued (periodic resync).
    public func resync() {
        for object in known.list() {
            let queued = state.withLock { $0.items[object.objectKey] != nil }
            if !queued { enqueue(Delta(type: .sync, object: object)) }
        }
    }

    @_specialize(where Object == JSONValue)
    func enqueue(_ delta: Delta<Object>) {
        let handOff = state.withLock { state -> ((String, [Delta<Object>]), CheckedContinuation<(String, [Delta<Object>])?, Never>)? in
            guard !state.closed else { return nil }
            state.populated = true
            Self.append(delta, to: &state)
            return Self.handOff(&state)
        }
        if let (item, waiter) = handOff { waiter.resume(returning: item) }
    }

    /// Appends a delta to its key's list; returns whether the key was newly queued.
    @discardableResult
    @_specialize(where Object == JSONValue)
    static func append(_ delta: Delta<Object>, to state: inout State) -> Bool {
        let key = delta.object.objectKey
        var deltas = state.items.removeValue(forKey: key) ?? []
        let isNew = deltas.isEmpty
        // Two deletions in a row are one (client-go's dedupDeltas); a seen deletion beats an inferred one.
        if delta.type == .deleted, let last = deltas.last, last.type == .deleted {
            if last.finalStateUnknown { deltas[deltas.count - 1] = delta }
        } else {
            deltas.append(delta)
        }
        state.items[key] = deltas
        if isNew { state.queue.append(key) }
        return isNew
    }

    /// If a consumer is waiting, takes the first queued key for it.
    @_specialize(where Object == JSONValue)
    static func handOff(_ state: inout State) -> ((String, [Delta<Object>]), CheckedContinuation<(String, [Delta<Object>])?, Never>)? {
        guard let waiter = state.waiter, let key = state.queue.popFirst() else { return nil }
        state.waiter = nil
        let deltas = state.items.removeValue(forKey: key) ?? []
        if state.initialCount > 0 {
            state.initialCount -= 1
            state.initialInProcess += 1
        }
        return ((key, deltas), waiter)
    }

    /// The next key and its deltas (waits for one); `nil` once closed. One consumer at a time.
    @_specialize(where Object == JSONValue)
    public func pop() async -> (String, [Delta<Object>])? {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> (String, [Delta<Object>])?? in
                if let key = state.queue.popFirst() {
                    let deltas = state.items.removeValue(forKey: key) ?? []
                    if state.initialCount > 0 {
                        // Still unsynced until the consumer says this key is processed.
                        state.initialCount -= 1
                        state.initialInProcess += 1
                    }
                    return .some((key, deltas))
                }
                if state.closed { return .some(nil) }
                state.waiter = continuation
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Whether every key of the first complete list has been popped and processed (`processed()`).
    public var hasSynced: Bool { state.withLock { $0.populated && $0.initialCount == 0 && $0.initialInProcess == 0 } }

    /// The consumer finished the key it popped last (applied it to its cache): the first list counts as
    /// synced only once its last key got here, not when it was popped.
    public func processed() {
        state.withLock { if $0.initialInProcess > 0 { $0.initialInProcess -= 1 } }
    }

    public var count: Int { state.withLock { $0.queue.count } }

    /// Ends `pop` for the consumer.
    public func close() {
        let waiter = state.withLock { state -> CheckedContinuation<(String, [Delta<Object>])?, Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }
}
