/// Upstream's scheduling queue as a pure state machine: an active queue (priority, then age), a backoff queue
/// (1 s doubling to 10 s per failed attempt), and the unschedulable pods, moved back on cluster events
/// (`MoveAllToActiveOrBackoffQueue`). Time comes in as an argument so tests step it.
public struct SchedulingQueue: Sendable {
    public typealias Instant = ContinuousClock.Instant

    public enum State: Sendable, Equatable { case active, backoff, unschedulable, inFlight }

    struct Entry: Sendable {
        var pod: PodInfo
        var state: State
        var attempts: Int
        /// When the last attempt failed (backoff counts from here; unschedulable pods are flushed after 5 min).
        var failedAt: Instant?
        /// Bumped each time the pod enters the active heap, so stale heap slots are skipped.
        var generation: UInt64
    }

    struct Slot: Sendable {
        var priority: Int32
        var created: Double
        var key: String
        var generation: UInt64

        func before(_ other: Slot) -> Bool {
            if priority != other.priority { return priority > other.priority }
            if created != other.created { return created < other.created }
            return key < other.key
        }
    }

    var entries: [String: Entry] = [:]
    var heap: [Slot] = []
    var nextGeneration: UInt64 = 0
    /// Incremented per pop; a move request during a pod's cycle sends it to backoff, not unschedulable.
    public private(set) var schedulingCycle: Int = 0
    var moveRequestCycle: Int = -1
    /// Pods that failed with required pod affinity: a pod newly bound may be the one they wait for.
    var waitingForPods: Set<String> = []

    public static let initialBackoff: Duration = .seconds(1)
    public static let maxBackoff: Duration = .seconds(10)
    /// Upstream's `podMaxInUnschedulablePodsDuration`.
    public static let maxUnschedulableDuration: Duration = .seconds(300)

    public init() {}

    /// The pod's state, if queued.
    public func state(of key: String) -> State? { entries[key]?.state }

    /// How many pods wait in each state.
    public var counts: (active: Int, backoff: Int, unschedulable: Int) {
        var a = 0, b = 0, u = 0
        for entry in entries.values {
            switch entry.state {
            case .active: a += 1
            case .backoff: b += 1
            case .unschedulable: u += 1
            case .inFlight: break
            }
        }
        return (a, b, u)
    }

    /// A new or changed unscheduled pod. A change to a waiting pod may make it schedulable, so it moves on.
    public mutating func addOrUpdate(_ pod: PodInfo, now: Instant) {
        guard var entry = entries[pod.key] else {
            entries[pod.key] = Entry(pod: pod, state: .active, attempts: 0, failedAt: nil, generation: 0)
            pushActive(pod.key)
            return
        }
        let changed = entry.pod != pod
        entry.pod = pod
        entries[pod.key] = entry
        if changed && entry.state == .unschedulable { move(pod.key, now: now) }
    }

    /// A pod whose binding failed after it left the queue: it waits out a backoff before the next attempt.
    public mutating func addBackingOff(_ pod: PodInfo, now: Instant) {
        let attempts = entries[pod.key]?.attempts ?? 1
        entries[pod.key] = Entry(pod: pod, state: .backoff, attempts: max(attempts, 1), failedAt: now, generation: 0)
    }

    /// Forgets a pod (deleted, or bound).
    public mutating func remove(key: String) { entries[key] = nil }

    /// The next pod to schedule, now in flight; nil when none is active.
    public mutating func pop() -> PodInfo? {
        while let slot = popHeap() {
            guard var entry = entries[slot.key], entry.state == .active, entry.generation == slot.generation else { continue }
            entry.state = .inFlight
            entry.attempts += 1
            entries[slot.key] = entry
            schedulingCycle += 1
            return entry.pod
        }
        return nil
    }

    /// The pod in flight was scheduled: it leaves the queue.
    public mutating func done(key: String) {
        if entries[key]?.state == .inFlight { entries[key] = nil }
    }

    /// The pod in flight failed. `unschedulable` (no node fits) waits for a cluster event; any other error,
    /// or a cluster event during the attempt, waits out its backoff.
    public mutating func failed(key: String, unschedulable: Bool, cycle: Int, now: Instant) {
        guard var entry = entries[key], entry.state == .inFlight else { return }
        entry.failedAt = now
        entry.state = unschedulable && moveRequestCycle < cycle ? .unschedulable : .backoff
        entries[key] = entry
        if entry.state == .unschedulable && !entry.pod.requiredAffinity.isEmpty { waitingForPods.insert(key) }
    }

    /// Upstream's `MoveAllToActiveOrBackoffQueue`: after a node or pod change, every unschedulable pod is
    /// retried, at once or when its backoff ends.
    public mutating func moveAllToActiveOrBackoff(now: Instant) {
        moveRequestCycle = schedulingCycle
        for (key, entry) in entries where entry.state == .unschedulable { move(key, now: now) }
    }

    /// After a pod was bound or relabelled: retries the unschedulable pods with pod affinity (upstream's
    /// AssignedPodAdd hint), without touching the others.
    public mutating func moveWaitingForPods(now: Instant) {
        guard !waitingForPods.isEmpty else { return }
        for key in waitingForPods where entries[key]?.state == .unschedulable { move(key, now: now) }
        waitingForPods.removeAll()
    }

    /// Moves pods whose backoff has ended to active, and pods unschedulable for too long to active or backoff.
    public mutating func flush(now: Instant) {
        for (key, entry) in entries {
            switch entry.state {
            case .backoff:
                if backoffExpiry(entry) <= now { activate(key) }
            case .unschedulable:
                if let at = entry.failedAt, now - at >= Self.maxUnschedulableDuration { move(key, now: now) }
            case .active, .inFlight:
                break
            }
        }
    }

    /// When the earliest backoff ends, to know how long to sleep.
    public func nextBackoffExpiry() -> Instant? {
        entries.values.filter { $0.state == .backoff }.map(backoffExpiry).min()
    }

    /// 1 s after the first failure, doubling per attempt, at most 10 s.
    public static func backoffDuration(attempts: Int) -> Duration {
        var duration = initialBackoff
        var n = 1
        while n < attempts && duration < maxBackoff {
            duration *= 2
            n += 1
        }
        return min(duration, maxBackoff)
    }

    func backoffExpiry(_ entry: Entry) -> Instant {
        guard let at = entry.failedAt else { return .now }
        return at + Self.backoffDuration(attempts: entry.attempts)
    }

    mutating func move(_ key: String, now: Instant) {
        guard let entry = entries[key] else { return }
        if backoffExpiry(entry) > now {
            entries[key]?.state = .backoff
        } else {
            activate(key)
        }
    }

    mutating func activate(_ key: String) {
        entries[key]?.state = .active
        pushActive(key)
    }

    mutating func pushActive(_ key: String) {
        guard let entry = entries[key] else { return }
        nextGeneration += 1
        entries[key]?.generation = nextGeneration
        pushHeap(Slot(priority: entry.pod.priority, created: entry.pod.created, key: key, generation: nextGeneration))
    }

    mutating func pushHeap(_ slot: Slot) {
        heap.append(slot)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].before(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popHeap() -> Slot? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var first = parent
            if left < heap.count && heap[left].before(heap[first]) { first = left }
            if right < heap.count && heap[right].before(heap[first]) { first = right }
            if first == parent { break }
            heap.swapAt(parent, first)
            parent = first
        }
        return top
    }
}
