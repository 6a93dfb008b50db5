import Logging
import SkiffAPI
import SkiffClient

/// The Endpoints controller (upstream's `pkg/controller/endpoint`): the legacy `v1` Endpoints of every
/// Service with a selector, named as the Service, which many clients still read. Ready pods are in
/// `addresses`, unready ones in `notReadyAddresses` (all in `addresses` with `publishNotReadyAddresses`),
/// terminating pods in neither; addresses with the same resolved ports share a subset. Deleting the
/// Service deletes its Endpoints.
public struct EndpointsController: Controller {
    public var name: String { "endpoints-controller" }
    public var workers: Int

    public init(workers: Int = 5) { self.workers = max(1, workers) }

    public func run(context: ControllerContext) async throws {
        let syncer = EndpointsSyncer(context: context)
        await ReconcileRunner(name: name, reconciler: syncer, queue: syncer.queue, workers: workers,
                              caches: [{ await syncer.services.waitForSync() }, { await syncer.pods.waitForSync() },
                                       { await syncer.endpoints.waitForSync() }],
                              sources: [{ await syncer.handleServiceEvents() }, { await syncer.handlePodEvents() },
                                        { await syncer.handleEndpointsEvents() }],
                              logger: context.logger).run()
    }
}

/// One leadership term's state of the Endpoints controller.
final class EndpointsSyncer: Sendable {
    let client: RESTClient
    let services: Informer<core.v1.Service>
    let pods: Informer<core.v1.Pod>
    let endpoints: Informer<core.v1.Endpoints>
    let queue: WorkQueue<String, ControllerClock>
    let tracker = WrittenObjectTracker()
    let logger: Logger

    /// Upstream's `maxCapacity`: addresses beyond it are dropped and the object says so.
    static let maxAddresses = 1000
    static let overCapacityAnnotation = "endpoints.kubernetes.io/over-capacity"

    init(context: ControllerContext) {
        client = context.client
        services = context.informers.informer(core.v1.Service.self)
        pods = context.informers.informer(core.v1.Pod.self)
        endpoints = context.informers.informer(core.v1.Endpoints.self)
        queue = context.queue(name: "endpoint", backoff: ExponentialBackoff(base: .milliseconds(5), maximum: .seconds(60)))
        logger = context.logger
    }

    func handleServiceEvents() async {
        for await event in services.events() { await queue.add(event.object.objectKey) }
    }

    func handlePodEvents() async {
        await ServiceEndpoints.enqueueServices(of: pods, services: services, into: queue)
    }

    /// An Endpoints object of a Service changed or deleted by someone else is put back; one without a Service
    /// (written before its Service, or for a Service that is not there) is left alone.
    func handleEndpointsEvents() async {
        for await event in endpoints.events() {
            if case .added = event { continue }
            guard services.indexer.get(key: event.object.objectKey) != nil else { continue }
            await queue.add(event.object.objectKey)
        }
    }

    func sync(_ key: String) async throws -> Requeue {
        let current = endpoints.indexer.get(key: key)
        if tracker.isStale(key, cached: current.map { [$0] } ?? []) { return .after(.milliseconds(50)) }
        guard let service = services.indexer.get(key: key) else {
            // Reached from the Service's deletion (or a pod event racing it): its Endpoints go with it.
            if let current { try await delete(current, key: key) }
            return .done
        }
        guard ServiceEndpoints.isManaged(service), !service.isBeingDeleted else { return .done }
        let candidates = pods.indexer.byIndex(Indexer<core.v1.Pod>.namespaceIndex, service.objectNamespace)
        var (subsets, truncated) = Self.subsets(for: service, pods: candidates)
        subsets = subsets.isEmpty ? [] : subsets
        var wanted = current ?? core.v1.Endpoints(apiVersion: "v1", kind: "Endpoints", metadata: meta.v1.ObjectMeta(
            name: service.objectName, namespace: service.objectNamespace))
        let before = wanted
        wanted.subsets = subsets
        wanted.metadata?.labels = ServiceEndpoints.labels(for: service, slice: false)
        var annotations = wanted.annotations
        annotations[Self.overCapacityAnnotation] = truncated ? "truncated" : nil
        wanted.metadata?.annotations = annotations.isEmpty ? nil : annotations
        let api = client.api(core.v1.Endpoints.self, namespace: service.objectNamespace)
        if current == nil {
            let created = try await api.create(wanted)
            tracker.wrote(key, name: created.objectName, resourceVersion: created.objectResourceVersion)
        } else if !Self.same(before, wanted) {
            let updated = try await api.update(wanted)
            tracker.wrote(key, name: updated.objectName, resourceVersion: updated.objectResourceVersion)
        }
        return .done
    }

    func delete(_ object: core.v1.Endpoints, key: String) async throws {
        do {
            _ = try await client.api(core.v1.Endpoints.self, namespace: object.objectNamespace).delete(object.objectName)
        } catch let error as APIError where error.isNotFound {}
        tracker.deleted(key, name: object.objectName)
    }

    static func same(_ a: core.v1.Endpoints, _ b: core.v1.Endpoints) -> Bool {
        (a.subsets ?? []) == (b.subsets ?? []) && a.objectLabels == b.objectLabels
            && (a.metadata?.annotations ?? [:]) == (b.metadata?.annotations ?? [:])
    }

    /// The subsets of `service` (upstream's `syncService` and `RepackSubsets`): one per distinct set of
    /// resolved ports, addresses sorted by IP; true when addresses beyond `maxAddresses` were dropped.
    static func subsets(for service: core.v1.Service, pods: [core.v1.Pod]) -> ([core.v1.EndpointSubset], Bool) {
        let tolerateUnready = service.spec?.publishNotReadyAddresses == true
        let servicePorts = service.spec?.ports ?? []
        let type = ServiceEndpoints.addressTypes(of: service)[0]
        var groups: [String: core.v1.EndpointSubset] = [:]
        for pod in pods where ServiceEndpoints.selects(service, pod)
            && ServiceEndpoints.shouldInclude(pod, includeTerminating: tolerateUnready) {
            guard let ip = ServiceEndpoints.address(of: pod, type: type) else { continue }
            let node = pod.nodeName
            let address = core.v1.EndpointAddress(hostname: ServiceEndpoints.hostname(of: pod, for: service), ip: ip,
                                                  nodeName: node.isEmpty ? nil : node,
                                                  targetRef: ServiceEndpoints.reference(to: pod))
            let ports = servicePorts.compactMap { port -> core.v1.EndpointPort? in
                guard let number = ServiceEndpoints.targetPort(port, on: pod) else { return nil }
                return core.v1.EndpointPort(appProtocol: port.appProtocol, name: port.name, port: number,
                                            protocol: port.protocol ?? "TCP")
            }
            // A headless Service may have no ports; any other needs at least one the pod serves.
            if ports.isEmpty && !(servicePorts.isEmpty && ServiceEndpoints.isHeadless(service)) { continue }
            let key = ports.map { "\($0.name ?? "")/\($0.protocol ?? "")/\($0.port)" }.sorted().joined(separator: ",")
            var subset = groups[key] ?? core.v1.EndpointSubset(ports: ports.isEmpty ? nil : ports)
            if tolerateUnready || pod.isReady {
                subset.addresses = (subset.addresses ?? []) + [address]
            } else {
                subset.notReadyAddresses = (subset.notReadyAddresses ?? []) + [address]
            }
            groups[key] = subset
        }
        var budget = maxAddresses
        var truncated = false
        let subsets = groups.sorted { $0.key < $1.key }.map { _, subset -> core.v1.EndpointSubset in
            var subset = subset
            subset.addresses = sortedAndCapped(subset.addresses, budget: &budget, truncated: &truncated)
            subset.notReadyAddresses = sortedAndCapped(subset.notReadyAddresses, budget: &budget, truncated: &truncated)
            return subset
        }.filter { !($0.addresses ?? []).isEmpty || !($0.notReadyAddresses ?? []).isEmpty }
        return (subsets, truncated)
    }

    static func sortedAndCapped(_ addresses: [core.v1.EndpointAddress]?, budget: inout Int,
                                truncated: inout Bool) -> [core.v1.EndpointAddress]? {
        guard let addresses, !addresses.isEmpty else { return nil }
        let sorted = addresses.sorted { $0.ip.utf8.lexicographicallyPrecedes($1.ip.utf8) }
        if sorted.count > budget { truncated = true }
        let kept = Array(sorted.prefix(max(0, budget)))
        budget -= kept.count
        return kept.isEmpty ? nil : kept
    }
}

extension EndpointsSyncer: Reconciler {
    func reconcile(_ key: String) async throws -> Requeue { try await sync(key) }
}
