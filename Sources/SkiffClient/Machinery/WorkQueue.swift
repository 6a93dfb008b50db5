import DequeModule
import Metrics

/// A work queue with client-go's promises (`k8s.io/client-go/util/workqueue`): fair (first in, first
/// out), stingy (a key waiting in the queue is queued once however often it is added), and a key is
/// never handed to two workers at once — one re-added while being processed is queued again when
/// `done` is called. Adds can be delayed or rate limited (per-key exponential backoff).
///
/// Invariants: a key is in `queue` iff it is in `dirty` and not in `processing`; a key in
/// `processing` and in `dirty` will be queued by `done`.
public actor WorkQueue<Key: Hashable & Sendable, C: Clock> where C.Duration == Duration {
    private var queue = Deque<Key>() {
        didSet { depth?.record(queue.count) }
    }
    private var dirty = Set<Key>()
    private var processing = Set<Key>()
    private var waiters = Deque<CheckedContinuation<Key?, Never>>()
    private var shuttingDown = false
    private var failures: [Key: Int] = [:]
    /// Delayed keys by the instant they become ready; the earliest first.
    private var delayed: [(at: C.Instant, key: Key)] = []
    private var delayTask: Task<Void, Never>?
    private let clock: C
    private let rateLimiter: ExponentialBackoff
    /// `workqueue_adds_total{name}` and `workqueue_depth{name}` when the queue is named.
    private let adds: Counter?
    private let depth: Gauge?

    /// A queue whose delays run on `clock`, with retry backoff `rateLimiter`; a `name` labels its metrics.
    public init(clock: C, rateLimiter: ExponentialBackoff = ExponentialBackoff(), name: String? = nil) {
        self.clock = clock
        self.rateLimiter = rateLimiter
        adds = name.map { Counter(label: "workqueue_adds_total", dimensions: [("name", $0)]) }
        depth = name.map { Gauge(label: "workqueue_depth", dimensions: [("name", $0)]) }
    }

    /// Queues `key` unless it is already waiting (or the queue is shutting down).
    public func add(_ key: Key) {
        guard !shuttingDown, !dirty.contains(key) else { return }
        adds?.increment()
        dirty.insert(key)
        if processing.contains(key) { return }
        if let waiter = waiters.popFirst() {
            processing.insert(key)
            dirty.remove(key)
            waiter.resume(returning: key)
        } else {
            queue.append(key)
        }
    }

    /// The next key to process (waits for one); `nil` once the queue is shut down and drained.
    /// Call `done` when finished with it.
    public func get() async -> Key? {
        if let key = queue.popFirst() {
            dirty.remove(key)
            processing.insert(key)
            return key
        }
        if shuttingDown { return nil }
        return await withCheckedContinuation { waiters.append($0) }
    }

    /// Marks `key` processed; if it was added meanwhile, it is queued again.
    public func done(_ key: Key) {
        processing.remove(key)
        if dirty.contains(key) {
            if let waiter = waiters.popFirst() {
                dirty.remove(key)
                processing.insert(key)
                waiter.resume(returning: key)
            } else {
                queue.append(key)
            }
        }
    }

    /// Queues `key` after `delay` (at once for zero or negative delays).
    public func add(_ key: Key, after delay: Duration) {
        guard !shuttingDown else { return }
        guard delay > .zero else { return add(key) }
        let at = clock.now.advanced(by: delay)
        if let existing = delayed.firstIndex(where: { $0.key == key }) {
            // Keep the earlier of the two (client-go's delaying queue does the same).
            if delayed[existing].at <= at { return }
            delayed.remove(at: existing)
        }
        let index = delayed.firstIndex { $0.at > at } ?? delayed.count
        delayed.insert((at, key), at: index)
        if index == 0 { rescheduleDelayTask() }
    }

    /// Queues `key` after its backoff (which doubles with each call until `forget`).
    public func addRateLimited(_ key: Key) {
        let count = failures[key, default: 0]
        failures[key] = count + 1
        add(key, after: rateLimiter.delay(forFailures: count))
    }

    /// Clears `key`'s failure count (its next rate-limited add starts from the base delay).
    public func forget(_ key: Key) { failures[key] = nil }

    /// How often `key` has been re-added with `addRateLimited` since it was last forgotten.
    public func requeues(_ key: Key) -> Int { failures[key, default: 0] }

    /// Keys waiting (not counting delayed or in-process ones).
    public var count: Int { queue.count }

    public var isShuttingDown: Bool { shuttingDown }

    /// Stops accepting keys; workers drain what is queued, then `get` returns `nil`.
    public func shutDown() {
        shuttingDown = true
        delayTask?.cancel()
        delayTask = nil
        delayed.removeAll()
        while let waiter = waiters.popFirst() { waiter.resume(returning: nil) }
    }

    private func rescheduleDelayTask() {
        delayTask?.cancel()
        guard let first = delayed.first else { return }
        let clock = self.clock
        delayTask = Task { [weak self] in
            do { try await clock.sleep(until: first.at, tolerance: nil) } catch { return }
            await self?.releaseDue()
        }
    }

    private func releaseDue() {
        let now = clock.now
        while let first = delayed.first, first.at <= now {
            delayed.removeFirst()
            add(first.key)
        }
        rescheduleDelayTask()
    }
}

/// Per-key exponential backoff: `base · 2^failures`, at most `maximum` (client-go's
/// `ItemExponentialFailureRateLimiter`, 5 ms to 1000 s by default).
public struct ExponentialBackoff: Sendable {
    public var base: Duration
    public var maximum: Duration

    public init(base: Duration = .milliseconds(5), maximum: Duration = .seconds(1000)) {
        self.base = base
        self.maximum = maximum
    }

    public func delay(forFailures failures: Int) -> Duration {
        guard failures < 40 else { return maximum }
        let scaled = base * (1 << failures)
        return scaled > maximum ? maximum : scaled
    }
}

extension WorkQueue where C == ContinuousClock {
    /// A queue on the real clock.
    public init(rateLimiter: ExponentialBackoff = ExponentialBackoff(), name: String? = nil) {
        self.init(clock: ContinuousClock(), rateLimiter: rateLimiter, name: name)
    }
}
