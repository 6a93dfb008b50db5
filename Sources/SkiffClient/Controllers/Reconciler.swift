import Logging

/// What a reconcile asks for next (controller-runtime's `Result`): nothing until the object or what it
/// watches changes, or another look after a while (a minReadySeconds timer, a periodic check).
public enum Requeue: Sendable, Equatable {
    case done
    case after(Duration)
    /// Again after the key's exponential back-off, without an error (waiting on something else to happen).
    case withBackoff
}

/// An error that retrying cannot fix (a spec the controller refuses): logged and counted, the key is not
/// requeued with back-off; any other error is retried with the queue's per-key exponential back-off.
public struct TerminalError: Error, CustomStringConvertible {
    public var underlying: any Error

    public init(_ underlying: any Error) { self.underlying = underlying }

    public var description: String { "\(underlying)" }
}

/// A control loop's one job (controller-runtime's and kube-rs's reconciler): bring the object named by
/// `key` (`namespace/name`, or `name`) to its desired state from what the caches hold, and say when to look
/// again. It runs under a `ReconcileRunner`, which owns the queue, workers, retries, metrics and shutdown;
/// it is never called for one key from two workers at once.
public protocol Reconciler: Sendable {
    func reconcile(_ key: String) async throws -> Requeue
}

/// A reconciler made from a closure (tests, small controllers).
public struct ReconcileFunction: Reconciler {
    let body: @Sendable (String) async throws -> Requeue

    public init(_ body: @escaping @Sendable (String) async throws -> Requeue) { self.body = body }

    public func reconcile(_ key: String) async throws -> Requeue { try await body(key) }
}

extension Logger {
    /// A logger of the controller named `name`.
    static func controller(_ name: String, base: Logger) -> Logger {
        var logger = base
        logger[metadataKey: "controller"] = "\(name)"
        return logger
    }
}
