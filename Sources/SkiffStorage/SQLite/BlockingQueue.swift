import Foundation
import Synchronization

/// A FIFO of jobs for dedicated threads: producers (any thread or task) push without blocking; the
/// consuming threads block until there is work. After `close()` pushes are refused and consumers get
/// what is left, then `nil`.
///
/// The SQLite threads wait here rather than on the Swift cooperative pool, which must never block.
final class BlockingQueue<Element: Sendable>: @unchecked Sendable {
    // Invariant: every stored property is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var items: [Element] = []
    /// Index of the first item not yet taken (items before it are spent and dropped in bulk).
    private var head = 0
    private var closed = false

    /// Adds a job; false when the queue is closed (the job will never run).
    func push(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if closed { return false }
        items.append(element)
        condition.signal()
        return true
    }

    /// Takes one job, waiting for one; `nil` once closed and drained.
    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count && !closed { condition.wait() }
        guard head < items.count else { return nil }
        let element = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Takes every queued job (at most `limit`), waiting for at least one until `deadline` (`nil`: no
    /// waiting, `.distantFuture`: as long as it takes). `nil` once closed and drained; an empty array
    /// when the wait ended with nothing.
    func popAll(limit: Int, waitUntil deadline: Date?) -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        if let deadline {
            while head == items.count && !closed {
                if deadline == .distantFuture {
                    condition.wait()
                } else if !condition.wait(until: deadline) {
                    break
                }
            }
        }
        if head == items.count {
            return closed ? nil : []
        }
        let end = min(items.count, head + limit)
        let taken = Array(items[head..<end])
        if end == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else {
            head = end
            if head >= 1024 && head * 2 >= items.count {
                items.removeFirst(head)
                head = 0
            }
        }
        return taken
    }

    /// Refuses further pushes and wakes every waiting consumer.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Lets async code wait for dedicated threads to finish without blocking a cooperative thread.
final class ThreadCompletion: Sendable {
    private struct State {
        var remaining: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    /// Completes after `threads` calls of `threadExited()`.
    init(threads: Int) {
        state = Mutex(State(remaining: threads))
    }

    /// Called by each thread as its last act.
    func threadExited() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.remaining -= 1
            guard state.remaining <= 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once every thread has exited.
    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.remaining <= 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
