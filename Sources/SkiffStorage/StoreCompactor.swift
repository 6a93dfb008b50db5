public import Logging

/// Compacts a store in the background, as the Kubernetes API server's compaction loop does for etcd:
/// every `interval` it compacts to the revision it saw one interval earlier, so watchers always have at
/// least one interval of history, and it keeps at least `minimumRetainedRevisions` revisions (as k3s'
/// kine does). The owner runs `run()` in a task it cancels on shutdown.
public struct StoreCompactor: Sendable {
    public let store: any Store
    public let interval: Duration
    public let minimumRetainedRevisions: Int64
    let logger: Logger

    public init(store: any Store, interval: Duration = .seconds(300), minimumRetainedRevisions: Int64 = 1_000,
                logger: Logger) {
        self.store = store
        self.interval = interval
        self.minimumRetainedRevisions = max(0, minimumRetainedRevisions)
        self.logger = logger
    }

    /// Compacts every `interval` of `clock` until the task is cancelled. Failures are logged and retried
    /// at the next tick.
    public func run<C: Clock>(clock: C = ContinuousClock()) async where C.Duration == Duration {
        var previous: Int64? = nil
        while !Task.isCancelled {
            do {
                try await clock.sleep(for: interval)
            } catch {
                return
            }
            do {
                previous = try await tick(previous: previous)
            } catch {
                logger.warning("compaction failed", metadata: ["error": "\(error.message)"])
            }
        }
    }

    /// One step of the loop: compacts to the older of `previous` (the revision the last tick saw) and
    /// the current revision less the retained ones. Returns the current revision, for the next tick.
    public func tick(previous: Int64?) async throws(StoreError) -> Int64 {
        let current = try await store.currentRevision()
        if let target = Self.target(previous: previous, current: current, retained: minimumRetainedRevisions),
           target > (try await store.compactedRevision())
        {
            try await store.compact(revision: target)
            logger.debug("compacted storage history", metadata: ["revision": "\(target)"])
        }
        return current
    }

    /// Where a tick compacts to, or nil when there is nothing old enough.
    static func target(previous: Int64?, current: Int64, retained: Int64) -> Int64? {
        guard let previous else { return nil }
        let target = min(previous, current - retained)
        return target > 0 ? target : nil
    }
}

