public import Logging
public import ServiceLifecycle
import Synchronization

/// One informer per collection and selector, shared by every controller that asks for it — so a
/// process opens one watch per resource however many controllers read it (client-go's
/// `SharedInformerFactory`). A `Service`: `run()` runs the informers (those asked for later too).
public final class SharedInformerFactory: Service, Sendable {
    struct Key: Hashable {
        var path: ResourcePath
        var labelSelector: String
        var fieldSelector: String
        var type: ObjectIdentifier
    }

    public let client: RESTClient
    let resyncPeriod: Duration?
    let transform: InformerTransform?
    let logger: Logger
    let informers = Mutex<[Key: any Sendable]>([:])
    /// Runs of informers created before or after `run()` started.
    let starts: AsyncStream<@Sendable () async -> Void>
    let startContinuation: AsyncStream<@Sendable () async -> Void>.Continuation

    /// `transform` rewrites every object each informer caches (e.g. `InformerTransforms.stripManagedFields`).
    public init(client: RESTClient, resyncPeriod: Duration? = nil, transform: InformerTransform? = nil, logger: Logger) {
        self.client = client
        self.resyncPeriod = resyncPeriod
        self.transform = transform
        self.logger = logger
        (starts, startContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// The shared informer of `path` (all namespaces when its namespace is nil) for objects of `type`.
    public func informer<Object: InformerObject>(_ type: Object.Type = Object.self, for path: ResourcePath,
                                                 labelSelector: String = "", fieldSelector: String = "",
                                                 indexers: [String: Indexer<Object>.IndexFunction] = [:]) -> Informer<Object> {
        let key = Key(path: path, labelSelector: labelSelector, fieldSelector: fieldSelector, type: ObjectIdentifier(type))
        return informers.withLock { informers -> Informer<Object> in
            if let existing = informers[key] as? Informer<Object> {
                existing.indexer.addIndexers(indexers)
                return existing
            }
            var log = logger
            log[metadataKey: "resource"] = "\(path.resource)"
            let informer = Informer<Object>(
                listWatch: .rest(client, path, labelSelector: labelSelector, fieldSelector: fieldSelector, transform: transform),
                indexers: indexers, resyncPeriod: resyncPeriod, logger: log)
            informers[key] = informer
            startContinuation.yield { await informer.run() }
            return informer
        }
    }

    /// Runs every informer, including those asked for later, until graceful shutdown or cancellation.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            for await start in starts.cancelOnGracefulShutdown() {
                group.addTask { await start() }
            }
            group.cancelAll()
        }
    }
}
