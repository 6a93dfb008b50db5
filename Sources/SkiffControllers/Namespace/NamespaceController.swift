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
        let informer = context.informers.informer(JSONValue.self, for: NamespaceContentDeleter.namespaces)
        let queue = WorkQueue<String, ContinuousClock>(rateLimiter: ExponentialBackoff(base: .milliseconds(5), maximum: .seconds(60)))
        let deleter = NamespaceContentDeleter(client: context.client, logger: context.logger)
        let logger = context.logger
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await event in informer.events() {
                    if case .deleted = event { continue }
                    if event.object["metadata"]?["deletionTimestamp"] != nil { await queue.add(event.object.objectName) }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: syncPeriod) } catch { break }
                    for namespace in informer.indexer.list() where namespace["metadata"]?["deletionTimestamp"] != nil {
                        await queue.add(namespace.objectName)
                    }
                }
                // Cancelled: workers waiting for a key return once the queue is shut down.
                await queue.shutDown()
            }
            for _ in 0..<workers {
                group.addTask {
                    await informer.waitForSync()
                    while let name = await queue.get() {
                        await Self.sync(name, deleter: deleter, queue: queue, logger: logger)
                        await queue.done(name)
                    }
                }
            }
        }
    }

    static func sync(_ name: String, deleter: NamespaceContentDeleter, queue: WorkQueue<String, ContinuousClock>,
                     logger: Logger) async {
        do {
            try await deleter.delete(namespace: name)
            await queue.forget(name)
        } catch let remaining as ResourcesRemaining {
            // Content is going away on its own schedule: look again in half the estimate.
            logger.debug("content remaining", metadata: ["namespace": "\(name)", "estimate": "\(remaining.estimate)"])
            await queue.forget(name)
            await queue.add(name, after: .seconds(remaining.estimate / 2 + 1))
        } catch {
            if Task.isCancelled { return }
            logger.info("namespace deletion failed; retrying", metadata: ["namespace": "\(name)", "error": "\(error)"])
            await queue.addRateLimited(name)
        }
    }
}
