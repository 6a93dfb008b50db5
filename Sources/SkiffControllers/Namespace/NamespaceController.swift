import Logging
import SkiffAPI
import SkiffClient

/// The namespace controller (upstream's `pkg/controller/namespace`): when a namespace is deleted (it
/// gets a deletionTimestamp and phase `Terminating`), deletes every namespaced object in it, keeps the
/// deletion conditions on its status, and then removes the `kubernetes` finalizer through
/// `namespaces/<name>/finalize`, after which the API server removes the namespace.
public struct NamespaceController: Controller {
    public var name: String { "namespace-controller" }
    /// Namespaces emptied at once (upstream's `--concurrent-namespace-syncs`).
    public var workers: Int
    /// How often every terminating namespace is looked at again (upstream's `--namespace-sync-period`).
    public var syncPeriod: Duration

    public init(workers: Int = 10, syncPeriod: Duration = .seconds(300)) {
        self.workers = max(1, workers)
        self.syncPeriod = syncPeriod
    }

    public func run(context: ControllerContext) async throws {
        let informer = context.informers.informer(core.v1.Namespace.self)
        let queue = context.queue(name: "namespace", backoff: ExponentialBackoff(base: .milliseconds(5), maximum: .seconds(60)))
        let deleter = NamespaceContentDeleter(client: context.client, logger: context.logger, clock: context.clock)
        let logger = context.logger
        let syncPeriod = syncPeriod
        let events: @Sendable () async -> Void = {
            for await event in informer.events() {
                if case .deleted = event { continue }
                if event.object.isBeingDeleted { await queue.add(event.object.objectName) }
            }
        }
        let resync: @Sendable () async -> Void = {
            while !Task.isCancelled {
                do { try await context.clock.sleep(for: syncPeriod) } catch { return }
                for namespace in informer.indexer.list() where namespace.isBeingDeleted {
                    await queue.add(namespace.objectName)
                }
            }
        }
        let reconciler = ReconcileFunction { name in try await Self.reconcile(name, deleter: deleter, logger: logger) }
        await ReconcileRunner(name: name, reconciler: reconciler, queue: queue, workers: workers,
                              caches: [{ await informer.waitForSync() }], sources: [events, resync], logger: logger).run()
    }

    /// Empties the namespace; content still going away on its own schedule is looked at again in half the
    /// estimate.
    static func reconcile(_ name: String, deleter: NamespaceContentDeleter, logger: Logger) async throws -> Requeue {
        do {
            try await deleter.delete(namespace: name)
            return .done
        } catch let remaining as ResourcesRemaining {
            logger.debug("content remaining", metadata: ["namespace": "\(name)", "estimate": "\(remaining.estimate)"])
            return .after(.seconds(remaining.estimate / 2 + 1))
        }
    }
}
