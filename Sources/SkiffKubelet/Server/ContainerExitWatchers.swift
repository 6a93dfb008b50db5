import Synchronization

/// Who waits for a container's run to end (log followers, attach sessions); the kubelet calls `exited` for
/// every container exit the runtime reports.
final class ContainerExitWatchers: Sendable {
    private struct State {
        var next: UInt64 = 0
        var byContainer: [String: [UInt64: @Sendable () -> Void]] = [:]
    }

    private let state = Mutex(State())

    /// Calls `callback` once when `containerID` ends; the token removes it earlier.
    func watch(_ containerID: String, _ callback: @escaping @Sendable () -> Void) -> UInt64 {
        state.withLock { state in
            state.next += 1
            state.byContainer[containerID, default: [:]][state.next] = callback
            return state.next
        }
    }

    func unwatch(_ containerID: String, token: UInt64) {
        state.withLock { state in
            state.byContainer[containerID]?[token] = nil
            if state.byContainer[containerID]?.isEmpty == true { state.byContainer[containerID] = nil }
        }
    }

    func exited(_ containerID: String) {
        let callbacks = state.withLock { $0.byContainer.removeValue(forKey: containerID) } ?? [:]
        for callback in callbacks.values { callback() }
    }
}
