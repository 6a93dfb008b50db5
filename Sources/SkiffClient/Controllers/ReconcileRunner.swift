public import Logging
import Metrics

/// Runs one `Reconciler`: waits for its caches, runs its event sources (which turn informer events into
/// keys on `queue`), and `workers` workers taking keys off the queue. A key whose reconcile throws is retried
/// with the queue's per-key back-off (unless the error is a `TerminalError`); one that asks `.after(d)` is
/// looked at again after `d` on the queue's clock (so tests step time instead of sleeping). On cancellation
/// the queue is shut down, workers finish the key in hand, and `run` returns.
///
/// Exports kube-controller-manager's work queue metrics, labelled `name`: `workqueue_retries_total`,
/// `workqueue_work_duration_seconds` and `controller_reconcile_errors_total`; a named queue adds
/// `workqueue_depth` and `workqueue_adds_total`.
public struct ReconcileRunner<R: Reconciler, C: Clock>: Sendable where C.Duration == Duration {
    public let name: String
    public let reconciler: R
    public let queue: WorkQueue<String, C>
    public let workers: Int
    /// Waited for before the first key is handed out (informers' `waitForSync`).
    let caches: [@Sendable () async -> Void]
    /// Loops that add keys to the queue until cancelled (handlers of informer events, periodic resyncs).
    let sources: [@Sendable () async -> Void]
    let logger: Logger

    public init(name: String, reconciler: R, queue: WorkQueue<String, C>, workers: Int = 1,
                caches: [@Sendable () async -> Void] = [], sources: [@Sendable () async -> Void] = [], logger: Logger) {
        self.name = name
        self.reconciler = reconciler
        self.queue = queue
        self.workers = max(1, workers)
        self.caches = caches
        self.sources = sources
        self.logger = .controller(name, base: logger)
    }

    /// Runs until the task is cancelled.
    public func run() async {
        let metrics = RunnerMetrics(name: name)
        await withDiscardingTaskGroup { group in
            for source in sources { group.addTask { await source() } }
            for _ in 0..<workers {
                group.addTask {
                    for wait in caches { await wait() }
                    await work(metrics: metrics)
                }
            }
            // When cancelled, shuts the queue so idle workers return.
            group.addTask {
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                await queue.shutDown()
            }
        }
    }

    private func work(metrics: RunnerMetrics) async {
        while let key = await queue.get() {
            let started = ContinuousClock.now
            do {
                switch try await reconciler.reconcile(key) {
                case .done: await queue.forget(key)
                case .after(let delay):
                    await queue.forget(key)
                    await queue.add(key, after: delay)
                case .withBackoff:
                    metrics.retries.increment()
                    await queue.addRateLimited(key)
                }
            } catch let error as TerminalError {
                metrics.errors.increment()
                logger.warning("reconcile failed for good; not retrying", metadata: ["key": "\(key)", "error": "\(error)"])
                await queue.forget(key)
            } catch {
                if !Task.isCancelled {
                    metrics.errors.increment()
                    metrics.retries.increment()
                    logger.info("reconcile failed; retrying", metadata: ["key": "\(key)", "error": "\(error)"])
                    await queue.addRateLimited(key)
                }
            }
            metrics.workDuration.recordInterval(since: started)
            await queue.done(key)
        }
    }
}

/// The runner's metrics (the names kube-controller-manager's work queues export).
struct RunnerMetrics: Sendable {
    let retries: Counter
    let errors: Counter
    let workDuration: Metrics.Timer

    init(name: String) {
        let labels = [("name", name)]
        retries = Counter(label: "workqueue_retries_total", dimensions: labels)
        errors = Counter(label: "controller_reconcile_errors_total", dimensions: [("controller", name)])
        workDuration = Metrics.Timer(label: "workqueue_work_duration_seconds", dimensions: labels, preferredDisplayUnit: .seconds)
    }
}

extension Metrics.Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
