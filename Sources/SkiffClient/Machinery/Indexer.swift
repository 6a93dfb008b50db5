import SkiffAPI
import Synchronization

/// An informer's cache: objects by key plus indexes (client-go's `ThreadSafeStore` with `Indexers`).
/// Values are structs, so what a lookup returns cannot change the cache. Safe from any thread; reads
/// are synchronous so hot paths (scheduling, reconciling) do not hop.
///
/// Invariant: for every index, `indices[name][value]` contains a key iff the object under that key
/// yields `value` from the index function; empty sets are removed.
public final class Indexer<Object: InformerObject>: Sendable {
    public typealias IndexFunction = @Sendable (Object) -> [String]

    /// The index every indexer has: objects by namespace.
    public static var namespaceIndex: String { "namespace" }

    struct State {
        var items: [String: Object] = [:]
        var indices: [String: [String: Set<String>]] = [:]
        var indexers: [String: IndexFunction] = [:]
    }

    let state = Mutex(State())

    /// An indexer with the namespace index and `indexers`.
    public init(indexers: [String: IndexFunction] = [:]) {
        var all = indexers
        all[Self.namespaceIndex] = { [$0.objectNamespace] }
        state.withLock { $0.indexers = all }
    }

    /// Adds indexes not yet present, computed at once for the objects already cached (client-go's
    /// `AddIndexers`): a shared informer made by one controller serves another's indexes too.
    public func addIndexers(_ indexers: [String: IndexFunction]) {
        state.withLock { state in
            for (name, function) in indexers where state.indexers[name] == nil {
                state.indexers[name] = function
                for (key, object) in state.items {
                    for value in function(object) { state.indices[name, default: [:]][value, default: []].insert(key) }
                }
            }
        }
    }

    // MARK: - Writes (from the informer)

    /// Adds or replaces the object under its key.
    public func upsert(_ object: Object) {
        upsert(object, key: object.objectKey)
    }

    /// Adds or replaces the object under `key` (its `objectKey`, already computed); returns the one replaced.
    @discardableResult
    @_specialize(where Object == JSONValue)
    public func upsert(_ object: Object, key: String) -> Object? {
        state.withLock { state in
            let old = state.items.updateValue(object, forKey: key)
            updateIndices(&state, key: key, old: old, new: object)
            return old
        }
    }

    /// Removes the object under `key`; returns it.
    @discardableResult
    @_specialize(where Object == JSONValue)
    public func remove(key: String) -> Object? {
        state.withLock { state in
            guard let old = state.items.removeValue(forKey: key) else { return nil }
            updateIndices(&state, key: key, old: old, new: nil)
            return old
        }
    }

    /// Replaces everything (after a relist).
    public func replace(_ objects: [Object]) {
        state.withLock { state in
            state.items = [:]
            state.indices = [:]
            for object in objects {
                let key = object.objectKey
                state.items[key] = object
                updateIndices(&state, key: key, old: nil, new: object)
            }
        }
    }

    @_specialize(where Object == JSONValue)
    private func updateIndices(_ state: inout State, key: String, old: Object?, new: Object?) {
        for (name, function) in state.indexers {
            let oldValues = old.map(function) ?? []
            let newValues = new.map(function) ?? []
            if oldValues == newValues { continue }
            for value in oldValues where !newValues.contains(value) {
                state.indices[name]?[value]?.remove(key)
                if state.indices[name]?[value]?.isEmpty == true { state.indices[name]?[value] = nil }
            }
            for value in newValues { state.indices[name, default: [:]][value, default: []].insert(key) }
        }
    }

    // MARK: - Reads

    public func get(key: String) -> Object? { state.withLock { $0.items[key] } }

    public func get(namespace: String, name: String) -> Object? {
        get(key: namespace.isEmpty ? name : "\(namespace)/\(name)")
    }

    public func list() -> [Object] { state.withLock { Array($0.items.values) } }

    public var keys: [String] { state.withLock { Array($0.items.keys) } }

    public var count: Int { state.withLock { $0.items.count } }

    /// Objects whose index `name` yields `value`.
    public func byIndex(_ name: String, _ value: String) -> [Object] {
        state.withLock { state in
            (state.indices[name]?[value] ?? []).compactMap { state.items[$0] }
        }
    }

    /// Keys whose index `name` yields `value`.
    public func keys(index name: String, value: String) -> [String] {
        state.withLock { Array($0.indices[name]?[value] ?? []) }
    }

    /// The values index `name` currently holds.
    public func indexValues(_ name: String) -> [String] {
        state.withLock { Array(($0.indices[name] ?? [:]).keys) }
    }
}
