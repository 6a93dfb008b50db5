import Logging
import SkiffAPI
import SkiffStorage
import Synchronization

/// Feeds every resource cache from one list and one watch of the store, in revision order, and
/// knows how far the caches have got (so a read can wait until they reflect a given write).
///
/// One watch for all resources (rather than one per resource) lets every cache advance with the
/// global revision, which is what makes consistent reads from the cache cheap.
final class WatchCacheHub: Sendable {
    static let keyPrefix = "/registry/"

    let store: any Store
    /// Caches by the storage segment that names their resource (`pods`, `deployments.apps`).
    let caches: [String: ResourceCache]
    let logger: Logger

    struct State {
        var revision: Int64 = 0
        var ready = false
        var waiters: [UInt64: (revision: Int64, continuation: CheckedContinuation<Void, any Error>)] = [:]
        /// Waits begun but not yet suspended (or timed out before they suspended).
        var pending: [UInt64: Bool] = [:]
        var nextWaiter: UInt64 = 0
    }

    let state = Mutex(State())

    init(store: any Store, caches: [String: ResourceCache], logger: Logger) {
        self.store = store
        self.caches = caches
        self.logger = logger
    }

    /// The revision every cache reflects.
    var revision: Int64 { state.withLock { $0.revision } }

    /// Whether the first list has been loaded.
    var isReady: Bool { state.withLock { $0.ready } }

    /// Lists, then watches, until cancelled; re-lists after a failed watch.
    func run() async {
        var delay: Duration = .milliseconds(100)
        while !Task.isCancelled {
            do {
                let revision = try await load()
                delay = .milliseconds(100)
                for try await event in store.watch(prefix: Self.keyPrefix, afterRevision: revision) {
                    process(event)
                }
                if Task.isCancelled { return }
                logger.warning("storage watch ended; re-listing")
            } catch {
                if Task.isCancelled { return }
                logger.warning("storage watch failed; re-listing", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// Loads every object into the caches; returns the revision of that snapshot.
    private func load() async throws -> Int64 {
        var grouped: [String: [CachedObject]] = [:]
        var startAfter: String? = nil
        var revision: Int64 = 0
        repeat {
            let page = try await store.list(prefix: Self.keyPrefix, startAfter: startAfter, limit: 10_000, revision: revision)
            revision = page.revision
            for value in page.values {
                guard let (segment, cache) = cache(forKey: value.key) else { continue }
                do {
                    grouped[segment, default: []].append(try CachedObject(stored: value, fieldsOf: cache.fields))
                } catch {
                    logger.error("skipping undecodable stored object", metadata: ["key": "\(value.key)", "error": "\(error)"])
                }
            }
            startAfter = page.hasMore ? page.values.last?.key : nil
        } while startAfter != nil
        for (segment, cache) in caches {
            cache.reset(objects: grouped[segment] ?? [], revision: revision)
        }
        publish(revision, ready: true)
        logger.debug("watch cache loaded", metadata: ["revision": "\(revision)"])
        return revision
    }

    private func process(_ event: StoreEvent) {
        guard let (_, cache) = cache(forKey: event.value.key) else {
            publish(event.revision, ready: true)
            return
        }
        do {
            let object = try CachedObject(stored: event.value, fieldsOf: cache.fields)
            let previous = cache.previous(namespace: object.namespace, name: object.name)
            let kind: CacheEvent.Kind
            switch event.kind {
            case .created: kind = previous == nil ? .added : .modified
            case .updated: kind = previous == nil ? .added : .modified
            case .deleted: kind = .deleted
            }
            cache.apply(CacheEvent(kind: kind, object: object, previous: previous))
        } catch {
            logger.error("skipping undecodable stored object", metadata: ["key": "\(event.value.key)", "error": "\(error)"])
        }
        publish(event.revision, ready: true)
    }

    func cache(forKey key: String) -> (String, ResourceCache)? {
        guard key.hasPrefix(Self.keyPrefix) else { return nil }
        let rest = key.utf8.dropFirst(Self.keyPrefix.utf8.count)
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let segment = String(decoding: rest[..<slash], as: UTF8.self)
        guard let cache = caches[segment] else { return nil }
        return (segment, cache)
    }

    private func publish(_ revision: Int64, ready: Bool) {
        let resumed = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            if revision > state.revision { state.revision = revision }
            state.ready = state.ready || ready
            guard state.ready else { return [] }
            var done: [CheckedContinuation<Void, any Error>] = []
            for (id, waiter) in state.waiters where waiter.revision <= state.revision {
                done.append(waiter.continuation)
                state.waiters[id] = nil
            }
            return done
        }
        for continuation in resumed { continuation.resume() }
    }

    /// Waits until the caches reflect `revision`; throws a 504 Timeout as upstream does when they do
    /// not within `timeout`.
    func waitUntil(revision: Int64, timeout: Duration = .seconds(3)) async throws {
        if state.withLock({ $0.ready && $0.revision >= revision }) { return }
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            state.pending[state.nextWaiter] = false
            return state.nextWaiter
        }
        // Whichever of the two children ends first decides; the other is always released too, so the
        // group never waits on a continuation nobody will resume.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await withCheckedThrowingContinuation { continuation in
                    let outcome = self.state.withLock { state -> Bool? in
                        let expired = state.pending.removeValue(forKey: id) ?? true
                        if expired { return false }
                        if state.ready && state.revision >= revision { return true }
                        state.waiters[id] = (revision, continuation)
                        return nil
                    }
                    switch outcome {
                    case true?: continuation.resume()
                    case false?: continuation.resume(throwing: CancellationError())
                    case nil: break
                    }
                }
            }
            group.addTask {
                let slept: Bool
                do {
                    try await Task.sleep(for: timeout)
                    slept = true
                } catch {
                    slept = false
                }
                let waiter = self.state.withLock { state in
                    if state.pending[id] != nil { state.pending[id] = true }
                    return state.waiters.removeValue(forKey: id)
                }
                waiter?.continuation.resume(throwing: CancellationError())
                if slept {
                    throw APIError.timeout("Too large resource version: \(revision), current: \(self.revision)", retryAfterSeconds: 1)
                }
                throw CancellationError()
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// Waits until the caches reflect everything the store has committed (a consistent read).
    func waitUntilFresh() async throws {
        let current = try await store.currentRevision()
        try await waitUntil(revision: current)
    }
}
