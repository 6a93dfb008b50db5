import Logging
import SkiffAPI
import SkiffClient

/// The loop shared by controllers that keep named objects in every active namespace (the `default`
/// ServiceAccount, the `kube-root-ca.crt` ConfigMap): a namespace is synced when it is added or
/// updated while active, and when one of its objects of those names changes or is deleted.
struct NamespaceObjectLoop: Sendable {
    static let namespaces = ResourcePath(group: "", version: "v1", resource: "namespaces")

    /// The objects' collection in all namespaces.
    var objects: ResourcePath
    /// The names of the objects kept; others are ignored.
    var names: Set<String>
    var workers: Int
    /// How often every active namespace is synced again, whatever happened.
    var resyncPeriod: Duration

    /// Runs until cancelled. `sync` is called with a namespace that is active in the cache and the
    /// objects informer; a thrown error retries the namespace with backoff.
    func run(context: ControllerContext,
             sync: @escaping @Sendable (_ namespace: String, _ objects: Informer<JSONValue>) async throws -> Void) async {
        let namespaces = context.informers.informer(JSONValue.self, for: Self.namespaces)
        // One name (the usual case) is watched alone: a cluster's other ConfigMaps can be many and large.
        let selector = names.count == 1 ? names.first.map { "metadata.name=\($0)" } ?? "" : ""
        let objectInformer = context.informers.informer(JSONValue.self, for: objects, fieldSelector: selector)
        let queue = WorkQueue<String, ContinuousClock>(rateLimiter: ExponentialBackoff(base: .milliseconds(5), maximum: .seconds(300)))
        let names = names
        let resyncPeriod = resyncPeriod
        let logger = context.logger
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await event in namespaces.events() {
                    switch event {
                    case .added(let namespace), .updated(_, let namespace):
                        if Self.isActive(namespace) { await queue.add(namespace.objectName) }
                    case .deleted: continue
                    }
                }
            }
            group.addTask {
                for await event in objectInformer.events() {
                    switch event {
                    case .added: continue
                    case .updated(_, let object), .deleted(let object, _):
                        if names.contains(object.objectName) { await queue.add(object.objectNamespace) }
                    }
                }
            }
            group.addTask {
                // A safety net for anything missed; once cancelled, shutting the queue down ends the workers.
                while !Task.isCancelled {
                    do { try await Task.sleep(for: resyncPeriod) } catch { break }
                    for namespace in namespaces.indexer.list() where Self.isActive(namespace) {
                        await queue.add(namespace.objectName)
                    }
                }
                await queue.shutDown()
            }
            for _ in 0..<max(1, workers) {
                group.addTask {
                    await namespaces.waitForSync()
                    await objectInformer.waitForSync()
                    while let name = await queue.get() {
                        do {
                            if let namespace = namespaces.indexer.get(namespace: "", name: name), Self.isActive(namespace) {
                                try await sync(name, objectInformer)
                            }
                            await queue.forget(name)
                        } catch {
                            if !Task.isCancelled {
                                logger.info("sync failed; retrying", metadata: ["namespace": "\(name)", "error": "\(error)"])
                                await queue.addRateLimited(name)
                            }
                        }
                        await queue.done(name)
                    }
                }
            }
        }
    }

    /// Phase Active and not being deleted: the only namespaces new content may go into.
    static func isActive(_ namespace: JSONValue) -> Bool {
        let phase = namespace["status"]?["phase"]?.stringValue ?? "Active"
        return phase == "Active" && (namespace["metadata"]?["deletionTimestamp"].map(\.isNull) ?? true)
    }

    /// Whether a create failed only because the namespace is gone or going (nothing to retry).
    static func namespaceIsGoing(_ error: any Error) -> Bool {
        guard let error = error as? APIError else { return false }
        return error.isNotFound || error.causes.contains { $0.reason == "NamespaceTerminating" }
    }
}
