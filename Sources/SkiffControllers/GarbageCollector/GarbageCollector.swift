import Logging
import SkiffAPI
import SkiffClient
import Synchronization

/// The garbage collector (upstream's `pkg/controller/garbagecollector`): watches every resource that
/// can be listed, watched and deleted, keeps the owner→dependents graph from `metadata.ownerReferences`,
/// and deletes dependents whose owners are gone — in the background by default, first of all when the
/// owner is deleted in the foreground (`foregroundDeletion` finalizer), and not at all when it is
/// deleted with `orphan` (the references to it are removed instead). The graph is rebuilt from lists
/// when it starts, so owners deleted while it was down are still found missing.
public struct GarbageCollector: Controller {
    public var name: String { "garbage-collector-controller" }
    /// Workers per queue (upstream's `--concurrent-gc-syncs`).
    public var workers: Int
    /// How often discovery is read again to watch new resources (upstream: 30 s).
    public var discoveryPeriod: Duration
    /// How long workers wait for the first lists before starting anyway.
    public var initialSyncTimeout: Duration
    /// `resource.group` of resources never watched (upstream ignores events).
    public var ignoredResources: Set<String>

    public init(workers: Int = 20, discoveryPeriod: Duration = .seconds(30), initialSyncTimeout: Duration = .seconds(30),
                ignoredResources: Set<String> = ["events", "events.events.k8s.io"]) {
        self.workers = max(1, workers)
        self.discoveryPeriod = discoveryPeriod
        self.initialSyncTimeout = initialSyncTimeout
        self.ignoredResources = ignoredResources
    }

    public func run(context: ControllerContext) async throws {
        let run = CollectorRun(settings: self, context: context)
        try await run.run()
    }

    /// Whether the collector watches `resource`: it must be listable, watchable and deletable.
    func watches(_ resource: APIResource) -> Bool {
        guard resource.supports("list", "watch", "delete") else { return false }
        let groupResource = resource.group.isEmpty ? resource.resource : "\(resource.resource).\(resource.group)"
        return !ignoredResources.contains(groupResource)
    }
}

/// One run of the collector: its graph, queues and monitors, made afresh each time it starts.
final class CollectorRun: Sendable {
    let settings: GarbageCollector
    let client: RESTClient
    let informers: SharedInformerFactory
    let logger: Logger
    let graph = Mutex(DependencyGraph())
    let absentOwners = Mutex(AbsentOwnerCache())
    let mapper = Mutex(RESTMapper(all: [], preferred: []))
    let lastRefresh = Mutex<ContinuousClock.Instant?>(nil)
    let deleteQueue: WorkQueue<String, ControllerClock>
    let orphanQueue: WorkQueue<String, ControllerClock>
    /// The monitored resources and their informers.
    let monitors = Mutex<[APIResource: Informer<ObjectMetadata>]>([:])
    let changes: AsyncStream<GraphChange>
    let changesContinuation: AsyncStream<GraphChange>.Continuation
    /// Long-running tasks to start in the run's task group (monitors, workers).
    let starts: AsyncStream<@Sendable () async -> Void>
    let startsContinuation: AsyncStream<@Sendable () async -> Void>.Continuation

    init(settings: GarbageCollector, context: ControllerContext) {
        self.settings = settings
        client = context.client
        informers = context.informers
        logger = context.logger
        deleteQueue = context.queue(name: "garbage_collector_attempt_to_delete")
        orphanQueue = context.queue(name: "garbage_collector_attempt_to_orphan")
        (changes, changesContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (starts, startsContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    func run() async throws {
        let discovered = try await discoverUntilAnswered()
        syncMonitors(discovered)
        await withDiscardingTaskGroup { group in
            group.addTask { await self.processGraphChanges() }
            group.addTask { await self.resyncDiscovery() }
            group.addTask {
                await self.waitForMonitorsToSync()
                self.startWorkers()
            }
            for await start in starts { group.addTask { await start() } }
            // Cancelled: let the workers drain and stop.
            await deleteQueue.shutDown()
            await orphanQueue.shutDown()
            changesContinuation.finish()
            group.cancelAll()
        }
    }

    // MARK: - Monitors

    func discoverUntilAnswered() async throws -> DiscoveredResources {
        var failures = 0
        while true {
            do {
                return try await ResourceDiscovery(client: client).discover()
            } catch {
                try Task.checkCancellation()
                logger.warning("discovery failed; retrying", metadata: ["error": "\(error)"])
                try await Task.sleep(for: ExponentialBackoff(base: .milliseconds(500), maximum: .seconds(10))
                    .delay(forFailures: failures))
                failures += 1
            }
        }
    }

    /// Watches every deletable resource not yet watched (upstream's `syncMonitors`); keeps the mapper current.
    func syncMonitors(_ discovered: DiscoveredResources) {
        mapper.withLock { $0 = discovered.mapper }
        let wanted = discovered.preferred.filter(settings.watches)
        let added = monitors.withLock { monitors -> [(APIResource, Informer<ObjectMetadata>)] in
            var added: [(APIResource, Informer<ObjectMetadata>)] = []
            for resource in wanted where monitors[resource] == nil {
                let informer = informers.informer(ObjectMetadata.self, for: resource.path)
                monitors[resource] = informer
                added.append((resource, informer))
            }
            return added
        }
        for (resource, informer) in added {
            startsContinuation.yield { await self.monitor(resource, informer) }
        }
        if !added.isEmpty {
            logger.debug("monitoring resources", metadata: ["added": "\(added.map(\.0.description).sorted())"])
        }
    }

    /// Feeds one resource's changes into the graph.
    func monitor(_ resource: APIResource, _ informer: Informer<ObjectMetadata>) async {
        let apiVersion = resource.apiVersion
        let kind = resource.kind
        for await event in informer.events() {
            switch event {
            case .added(let object):
                changesContinuation.yield(.observed(object, old: nil, apiVersion: apiVersion, kind: kind))
            case .updated(let old, let new):
                changesContinuation.yield(.observed(new, old: old, apiVersion: apiVersion, kind: kind))
            case .deleted(let object, _):
                changesContinuation.yield(.deleted(object, apiVersion: apiVersion, kind: kind))
            }
        }
    }

    /// Reads discovery periodically and watches resources that appeared (custom resources).
    func resyncDiscovery() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: settings.discoveryPeriod) } catch { return }
            do {
                syncMonitors(try await ResourceDiscovery(client: client).discover())
            } catch {
                if !Task.isCancelled { logger.debug("discovery resync failed", metadata: ["error": "\(error)"]) }
            }
        }
    }

    /// Whether every monitor has applied its first list.
    var monitorsSynced: Bool { monitors.withLock { $0.values.allSatisfy(\.hasSynced) } }

    func waitForMonitorsToSync() async {
        let deadline = ContinuousClock.now + settings.initialSyncTimeout
        while !monitorsSynced && ContinuousClock.now < deadline && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if !monitorsSynced && !Task.isCancelled {
            logger.info("not all resource monitors synced; proceeding anyway")
        }
    }

    // MARK: - Graph

    /// Applies changes one at a time (the graph has one writer) and queues the work they call for.
    func processGraphChanges() async {
        for await change in changes {
            let actions = graph.withLock { $0.apply(change) }
            for action in actions {
                switch action {
                case .attemptToDelete(let uid): await deleteQueue.add(uid)
                case .attemptToDeleteRateLimited(let uid): await deleteQueue.addRateLimited(uid)
                case .attemptToOrphan(let uid): await orphanQueue.add(uid)
                case .ownerAbsent(let identity): absentOwners.withLock { $0.add(identity) }
                }
            }
        }
    }

    /// Tells the graph that nothing with `identity` exists (a worker found it missing).
    func enqueueVirtualDelete(_ identity: ObjectIdentity) {
        changesContinuation.yield(.virtualDelete(identity))
    }

    // MARK: - Workers

    func startWorkers() {
        let attemptToDelete = ReconcileFunction { uid in
            switch await self.attemptToDelete(uid: uid) {
            case .forget: .done
            case .requeue: .withBackoff
            }
        }
        let attemptToOrphan = ReconcileFunction { uid in
            switch await self.attemptToOrphan(uid: uid) {
            case .forget: .done
            case .requeue: .withBackoff
            }
        }
        startsContinuation.yield {
            await ReconcileRunner(name: "garbage_collector_attempt_to_delete", reconciler: attemptToDelete,
                                  queue: self.deleteQueue, workers: self.settings.workers, logger: self.logger).run()
        }
        startsContinuation.yield {
            await ReconcileRunner(name: "garbage_collector_attempt_to_orphan", reconciler: attemptToOrphan,
                                  queue: self.orphanQueue, workers: self.settings.workers, logger: self.logger).run()
        }
    }

    /// The resource of `apiVersion` and `kind`, reading discovery again (at most every few seconds) when unknown.
    func resource(apiVersion: String, kind: String) async throws -> APIResource {
        if let known = mapper.withLock({ $0.resource(apiVersion: apiVersion, kind: kind) }) { return known }
        let now = ContinuousClock.now
        let refresh = lastRefresh.withLock { last -> Bool in
            guard last.map({ now - $0 > .seconds(5) }) ?? true else { return false }
            last = now
            return true
        }
        if refresh {
            let discovered = try await ResourceDiscovery(client: client).discover()
            mapper.withLock { $0 = discovered.mapper }
            if let found = discovered.mapper.resource(apiVersion: apiVersion, kind: kind) { return found }
        }
        throw CollectorError.unknownKind(apiVersion: apiVersion, kind: kind)
    }
}

/// Why the collector could not handle an item.
enum CollectorError: Error, CustomStringConvertible {
    /// No served resource has this kind (a custom resource not yet discovered, or an invalid reference).
    case unknownKind(apiVersion: String, kind: String)
    /// A cluster-scoped object names a namespaced owner: never valid, so never retried.
    case namespacedOwnerOfClusterScopedObject

    var description: String {
        switch self {
        case .unknownKind(let apiVersion, let kind): "unable to map \(apiVersion), Kind=\(kind) to a resource"
        case .namespacedOwnerOfClusterScopedObject: "cluster-scoped objects cannot refer to namespaced owners"
        }
    }
}
