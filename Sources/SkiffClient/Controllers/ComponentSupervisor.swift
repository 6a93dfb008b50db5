public import Logging
import ServiceLifecycle

/// Runs a long-lived component (a controller manager, a scheduler, a kubelet) so that it never dies quietly:
/// when its `run` returns or throws before cancellation, it is reported unhealthy, logged, and run again after
/// an exponential back-off (reset once a run lasted `stableAfter`); `health` hears `true` at each start and
/// `false` at each stop, which `skiff server` turns into a `/readyz` check naming the component.
public struct ComponentSupervisor: Sendable {
    public let name: String
    let body: @Sendable () async throws -> Void
    let health: @Sendable (Bool) -> Void
    let backoff: ExponentialBackoff
    let stableAfter: Duration
    let logger: Logger

    public init(name: String, backoff: ExponentialBackoff = ExponentialBackoff(base: .milliseconds(500), maximum: .seconds(30)),
                stableAfter: Duration = .seconds(60), logger: Logger,
                health: @escaping @Sendable (Bool) -> Void = { _ in }, run body: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.body = body
        self.health = health
        self.backoff = backoff
        self.stableAfter = stableAfter
        self.logger = logger
    }

    /// Runs the component, restarting it, until the task is cancelled or a graceful shutdown began (when
    /// components return on their own).
    public func run() async {
        var failures = 0
        while !stopping {
            health(true)
            let started = ContinuousClock.now
            do {
                try await body()
                if stopping { return }
                logger.error("component stopped; restarting", metadata: ["component": "\(name)"])
            } catch {
                if stopping { return }
                logger.error("component failed; restarting", metadata: ["component": "\(name)", "error": "\(error)"])
            }
            health(false)
            if ContinuousClock.now - started >= stableAfter { failures = 0 }
            let delay = backoff.delay(forFailures: failures)
            failures += 1
            do { try await Task.sleep(for: delay) } catch { return }
        }
    }

    private var stopping: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}
