import Foundation
import SkiffHost
import Synchronization

/// Runs a blocking runtime call (`runc create`, CNI plugins: tens of milliseconds of other processes' CPU)
/// on a thread of its own, so neither the pod workers' actor nor the two-thread cooperative pool waits with
/// it. At most a few run at once, first come first served, and container starts go before new sandboxes:
/// pods created together then come up one after another instead of all of them late together.
enum BlockingCall {
    enum Priority: Int, Sendable { case start = 0, sandbox = 1 }

    static let limiter = Limiter(limit: max(2, ProcessInfo.processInfo.activeProcessorCount + 1))

    static func run<T: Sendable>(_ priority: Priority, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        await limiter.acquire(priority)
        defer { limiter.release() }
        return try await OwnThread.run("skiff-runtime-call", body)
    }

    /// A counting semaphore with one FIFO queue per priority.
    final class Limiter: Sendable {
        struct State {
            var running = 0
            var waiting: [[CheckedContinuation<Void, Never>]] = [[], []]
        }

        let limit: Int
        let state = Mutex(State())

        init(limit: Int) { self.limit = limit }

        func acquire(_ priority: Priority) async {
            await withCheckedContinuation { continuation in
                let admitted = state.withLock { state -> Bool in
                    guard state.running < limit else {
                        state.waiting[priority.rawValue].append(continuation)
                        return false
                    }
                    state.running += 1
                    return true
                }
                if admitted { continuation.resume() }
            }
        }

        func release() {
            let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
                for index in state.waiting.indices where !state.waiting[index].isEmpty {
                    // The permit passes straight to the next caller.
                    return state.waiting[index].removeFirst()
                }
                state.running -= 1
                return nil
            }
            next?.resume()
        }
    }
}
