import SkiffAPI
import Synchronization

/// The current objects of one resource and its recent events, kept in memory from the store's watch;
/// lists, gets and watches of that resource are served from here.
///
/// Invariant: `objects` reflects every event of this resource up to `revision`, and `window` holds the
/// events after `window.coveredAfter` up to `revision`. Events are applied in revision order by the hub.
final class ResourceCache: Sendable {
    let groupResource: String
    let fields: ResourceFields

    struct State {
        /// namespace ("" for cluster-scoped) → name → object.
        var objects: [String: [String: CachedObject]] = [:]
        var count = 0
        /// The last revision applied to this resource.
        var revision: Int64 = 0
        var window: EventWindow
        var watchers: [UInt64: CacheWatcher] = [:]
        var nextWatcherID: UInt64 = 0
    }

    let state: Mutex<State>

    init(groupResource: String, fields: ResourceFields, windowCapacity: Int) {
        self.groupResource = groupResource
        self.fields = fields
        state = Mutex(State(window: EventWindow(capacity: windowCapacity, coveredAfter: 0)))
    }

    // MARK: - Updates (from the hub, in revision order)

    /// Replaces the contents after a (re)list at `revision`; current watchers are ended (their clients re-watch).
    func reset(objects: [CachedObject], revision: Int64) {
        var map: [String: [String: CachedObject]] = [:]
        for object in objects { map[object.namespace, default: [:]][object.name] = object }
        let ended = state.withLock { state -> [CacheWatcher] in
            state.objects = map
            state.count = objects.count
            state.revision = revision
            state.window.reset(coveredAfter: revision)
            let watchers = Array(state.watchers.values)
            state.watchers = [:]
            return watchers
        }
        for watcher in ended { watcher.end() }
    }

    /// Applies one event and delivers it to the watchers.
    func apply(_ event: CacheEvent) {
        let watchers = state.withLock { state -> [CacheWatcher] in
            let object = event.object
            switch event.kind {
            case .added, .modified:
                if state.objects[object.namespace, default: [:]].updateValue(object, forKey: object.name) == nil {
                    state.count += 1
                }
            case .deleted:
                if state.objects[object.namespace]?.removeValue(forKey: object.name) != nil {
                    state.count -= 1
                    if state.objects[object.namespace]?.isEmpty == true { state.objects[object.namespace] = nil }
                }
            }
            state.revision = event.revision
            state.window.append(event)
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.deliver(event) }
    }

    /// The version of `namespace/name` currently in the cache.
    func previous(namespace: String, name: String) -> CachedObject? {
        state.withLock { $0.objects[namespace]?[name] }
    }

    // MARK: - Reads

    func get(namespace: String, name: String) -> CachedObject? {
        state.withLock { $0.objects[namespace]?[name] }
    }

    /// Objects of one namespace (or all when `nil`) sorted as the store orders keys, and the revision the
    /// list reflects (`atLeast` is the hub's revision read before this call).
    func list(namespace: String?, atLeast hubRevision: Int64) -> (objects: [CachedObject], revision: Int64) {
        let (groups, revision) = state.withLock { state -> ([[String: CachedObject]], Int64) in
            if let namespace {
                return ([state.objects[namespace] ?? [:]], max(hubRevision, state.revision))
            }
            let keys = state.objects.keys.sorted()
            return (keys.compactMap { state.objects[$0] }, max(hubRevision, state.revision))
        }
        var result: [CachedObject] = []
        result.reserveCapacity(groups.reduce(0) { $0 + $1.count })
        for group in groups {
            result.append(contentsOf: group.values.sorted { $0.name < $1.name })
        }
        return (result, revision)
    }

    var count: Int { state.withLock { $0.count } }

    // MARK: - Watch

    /// Starts a watch that first replays the window's events after `revision`, then gets live events.
    /// Returns `nil` when events after `revision` have left the window (the caller falls back to storage).
    /// `makeWatcher` gets the watcher's id and how many events it is about to be given at once (its backlog).
    func watch(after revision: Int64, hubRevision: Int64, watcher makeWatcher: (UInt64, Int) -> CacheWatcher)
        -> CacheWatcher?
    {
        // The backlog is delivered under the lock so no live event can overtake it.
        state.withLock { state -> CacheWatcher? in
            let current = max(hubRevision, state.revision)
            let backlog: [CacheEvent]
            if revision >= current {
                backlog = []
            } else if let events = state.window.events(after: revision) {
                backlog = events
            } else {
                return nil
            }
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            let watcher = makeWatcher(id, backlog.count)
            state.watchers[id] = watcher
            for event in backlog { watcher.deliver(event, initial: true) }
            return watcher
        }
    }

    /// Starts a watch that first gets a synthetic ADDED for every current object (resourceVersion 0 or
    /// unset), then live events; returns the watcher and the revision of that snapshot.
    func watchFromSnapshot(namespace: String?, hubRevision: Int64, watcher makeWatcher: (UInt64, Int) -> CacheWatcher)
        -> (CacheWatcher, Int64)
    {
        // The snapshot is delivered under the lock so no live event can overtake it.
        state.withLock { state -> (CacheWatcher, Int64) in
            var objects: [CachedObject] = []
            if let namespace {
                objects = Array((state.objects[namespace] ?? [:]).values)
            } else {
                for group in state.objects.values { objects.append(contentsOf: group.values) }
            }
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            let watcher = makeWatcher(id, objects.count)
            state.watchers[id] = watcher
            for object in objects.sorted(by: { ($0.namespace, $0.name) < ($1.namespace, $1.name) }) {
                watcher.deliver(CacheEvent(kind: .added, object: object, previous: nil), initial: true)
            }
            return (watcher, max(hubRevision, state.revision))
        }
    }

    func removeWatcher(_ id: UInt64) {
        _ = state.withLock { $0.watchers.removeValue(forKey: id) }
    }

    var watcherCount: Int { state.withLock { $0.watchers.count } }
}
