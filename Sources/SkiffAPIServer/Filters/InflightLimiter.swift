import Synchronization

/// Upstream's `--max-requests-inflight` and `--max-mutating-requests-inflight` filter: at most so many
/// read-only and so many mutating requests are served at once; one more gets `429` with `Retry-After: 1`.
/// Long-running requests (watches, exec, attach, port-forward, logs, proxies) are not counted, and members of
/// `system:masters` are always served, so an administrator can still reach a server under load.
final class InflightLimiter: Sendable {
    /// 0 means unlimited, as upstream's flags mean it.
    let maxReadOnly: Int
    let maxMutating: Int
    private let readOnly = Atomic<Int>(0)
    private let mutating = Atomic<Int>(0)

    init(maxReadOnly: Int, maxMutating: Int) {
        self.maxReadOnly = maxReadOnly
        self.maxMutating = maxMutating
    }

    /// A slot held while one request is served; release it exactly once.
    struct Slot: Sendable {
        fileprivate let counter: Bool?  // true: mutating, false: read-only, nil: not counted
    }

    /// Takes a slot for a request with `verb` (nil when no slot is free: answer 429).
    func acquire(verb: String, subresource: String?, user: UserInfo?) -> Slot? {
        if Self.isLongRunning(verb: verb, subresource: subresource) { return Slot(counter: nil) }
        let isMutating = !Self.readOnlyVerbs.contains(verb)
        let limit = isMutating ? maxMutating : maxReadOnly
        guard limit > 0 else { return Slot(counter: nil) }
        let taken = isMutating ? take(mutating, limit: limit) : take(readOnly, limit: limit)
        if taken { return Slot(counter: isMutating) }
        if user?.isClusterAdmin == true { return Slot(counter: nil) }
        return nil
    }

    private func take(_ counter: borrowing Atomic<Int>, limit: Int) -> Bool {
        if counter.add(1, ordering: .relaxed).newValue <= limit { return true }
        counter.subtract(1, ordering: .relaxed)
        return false
    }

    func release(_ slot: Slot) {
        switch slot.counter {
        case true?: mutating.subtract(1, ordering: .relaxed)
        case false?: readOnly.subtract(1, ordering: .relaxed)
        case nil: break
        }
    }

    static let readOnlyVerbs: Set = ["get", "list", "watch", "proxy"]
    static let longRunningSubresources: Set = ["attach", "exec", "proxy", "log", "portforward"]

    /// Upstream's default long-running check (`BasicLongRunningRequestCheck`).
    static func isLongRunning(verb: String, subresource: String?) -> Bool {
        verb == "watch" || verb == "proxy" || subresource.map(longRunningSubresources.contains) == true
    }
}
