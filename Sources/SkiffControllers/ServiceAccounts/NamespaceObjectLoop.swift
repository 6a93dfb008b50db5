import Logging
import SkiffAPI
import SkiffClient

/// The loop shared by controllers that keep named objects in every active namespace (the `default`
/// ServiceAccount, the `kube-root-ca.crt` ConfigMap): a namespace is synced when it is added or
/// updated while active, and when one of its objects of those names changes or is deleted.
struct NamespaceObjectLoop<Object: KubernetesResource & InformerObject>: Sendable {
    /// The names of the objects kept; others are ignored.
    var names: Set<String>
    var workers: Int
    /// How often every active namespace is synced again, whatever happened.
    var resyncPeriod: Duration

    /// Runs until cancelled as the reconciler named `name`. `sync` is called with a namespace that is active
    /// in the cache and the objects informer; a thrown error retries the namespace with backoff.
    func run(name: String, context: ControllerContext,
             sync: @escaping @Sendable (_ namespace: String, _ objects: Informer<Object>) async throws -> Void) async {
        let namespaces = context.informers.informer(core.v1.Namespace.self)
        // One name (the usual case) is watched alone: a cluster's other ConfigMaps can be many and large.
        let selector = names.count == 1 ? names.first.map { "metadata.name=\($0)" } ?? "" : ""
        let objectInformer = context.informers.informer(Object.self, fieldSelector: selector)
        let queue = context.queue(name: name, backoff: ExponentialBackoff(base: .milliseconds(5), maximum: .seconds(300)))
        let names = names
        let resyncPeriod = resyncPeriod
        let reconciler = ReconcileFunction { name in
            if let namespace = namespaces.indexer.get(namespace: "", name: name), Self.isActive(namespace) {
                try await sync(name, objectInformer)
            }
            return .done
        }
        let namespaceEvents: @Sendable () async -> Void = {
            for await event in namespaces.events() {
                switch event {
                case .added(let namespace), .updated(_, let namespace):
                    if Self.isActive(namespace) { await queue.add(namespace.objectName) }
                case .deleted: continue
                }
            }
        }
        let objectEvents: @Sendable () async -> Void = {
            for await event in objectInformer.events() {
                switch event {
                case .added: continue
                case .updated(_, let object), .deleted(let object, _):
                    if names.contains(object.objectName) { await queue.add(object.objectNamespace) }
                }
            }
        }
        // A safety net for anything missed.
        let resync: @Sendable () async -> Void = {
            while !Task.isCancelled {
                do { try await context.clock.sleep(for: resyncPeriod) } catch { return }
                for namespace in namespaces.indexer.list() where Self.isActive(namespace) {
                    await queue.add(namespace.objectName)
                }
            }
        }
        await ReconcileRunner(name: name, reconciler: reconciler, queue: queue, workers: workers,
                              caches: [{ await namespaces.waitForSync() }, { await objectInformer.waitForSync() }],
                              sources: [namespaceEvents, objectEvents, resync], logger: context.logger).run()
    }

    /// Phase Active and not being deleted: the only namespaces new content may go into.
    static func isActive(_ namespace: core.v1.Namespace) -> Bool {
        (namespace.status?.phase ?? "Active") == "Active" && !namespace.isBeingDeleted
    }
}

/// Whether a create failed only because the namespace is gone or going (nothing to retry).
func namespaceIsGoing(_ error: any Error) -> Bool {
    guard let error = error as? APIError else { return false }
    return error.isNotFound || error.causes.contains { $0.reason == "NamespaceTerminating" }
}
