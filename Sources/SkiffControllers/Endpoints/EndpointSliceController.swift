import Logging
import SkiffAPI
import SkiffClient
import Synchronization

/// The EndpointSlice controller (upstream's `pkg/controller/endpointslice`): for every Service with a
/// selector, slices in `discovery.k8s.io/v1` listing the selected pods with an address, at most 100 per
/// slice, with `ready`/`serving`/`terminating` conditions and each Service port resolved on the pod (named
/// target ports through the pod's container ports). Slices are labelled `kubernetes.io/service-name` and
/// owned by their Service, so the garbage collector removes them with it.
public struct EndpointSliceController: Controller {
    public var name: String { "endpointslice-controller" }
    /// Upstream's `--concurrent-service-endpoint-syncs`.
    public var workers: Int

    public init(workers: Int = 5) { self.workers = max(1, workers) }

    public func run(context: ControllerContext) async throws {
        let syncer = EndpointSliceSyncer(context: context)
        await ReconcileRunner(name: name, reconciler: syncer, queue: syncer.queue, workers: workers,
                              caches: [{ await syncer.services.waitForSync() }, { await syncer.pods.waitForSync() },
                                       { await syncer.slices.waitForSync() }],
                              sources: [{ await syncer.handleServiceEvents() }, { await syncer.handlePodEvents() },
                                        { await syncer.handleSliceEvents() }],
                              logger: context.logger).run()
    }
}

/// One leadership term's state of the EndpointSlice controller.
final class EndpointSliceSyncer: Sendable {
    let client: RESTClient
    let services: Informer<core.v1.Service>
    let pods: Informer<core.v1.Pod>
    let slices: Informer<discovery.v1.EndpointSlice>
    let queue: WorkQueue<String, ControllerClock>
    let tracker = WrittenObjectTracker()
    let recorder: EventRecorder
    let logger: Logger

    /// Slices by `namespace/service`, only those this controller manages.
    static let serviceIndex = "service"

    init(context: ControllerContext) {
        client = context.client
        services = context.informers.informer(core.v1.Service.self)
        pods = context.informers.informer(core.v1.Pod.self)
        slices = context.informers.informer(discovery.v1.EndpointSlice.self, indexers: [Self.serviceIndex: { slice in
            let labels = slice.objectLabels
            guard labels[ServiceEndpoints.managedByLabel] == ServiceEndpoints.controllerName,
                  let service = labels[ServiceEndpoints.serviceNameLabel] else { return [] }
            return ["\(slice.objectNamespace)/\(service)"]
        }])
        queue = context.queue(name: "endpoint_slice", backoff: ExponentialBackoff(base: .milliseconds(5), maximum: .seconds(60)))
        recorder = context.events.recorder(component: "endpoint-slice-controller")
        logger = context.logger
    }

    // MARK: - Events

    func handleServiceEvents() async {
        for await event in services.events() { await queue.add(event.object.objectKey) }
    }

    func handlePodEvents() async {
        await ServiceEndpoints.enqueueServices(of: pods, services: services, into: queue)
    }

    func handleSliceEvents() async {
        for await event in slices.events() {
            let labels = event.object.objectLabels
            guard labels[ServiceEndpoints.managedByLabel] == ServiceEndpoints.controllerName,
                  let service = labels[ServiceEndpoints.serviceNameLabel] else { continue }
            await queue.add("\(event.object.objectNamespace)/\(service)")
        }
    }

    // MARK: - Sync

    func sync(_ key: String) async throws -> Requeue {
        guard let service = services.indexer.get(key: key) else {
            // Its slices are owned by it: the garbage collector deletes them.
            tracker.forget(key)
            return .done
        }
        let existing = slices.indexer.byIndex(Self.serviceIndex, key)
        if tracker.isStale(key, cached: existing) { return .after(.milliseconds(50)) }
        let plan: EndpointSlicePlan
        if service.spec?.type == "ExternalName" {
            plan = EndpointSlicePlan(deletes: existing)
        } else if ServiceEndpoints.isManaged(service), !service.isBeingDeleted {
            let candidates = pods.indexer.byIndex(Indexer<core.v1.Pod>.namespaceIndex, service.objectNamespace)
            plan = EndpointSlicePlan.plan(service: service, desired: EndpointGroup.desired(for: service, pods: candidates),
                                          existing: existing)
        } else {
            return .done
        }
        guard !plan.isEmpty else { return .done }
        do {
            try await apply(plan, service: key, namespace: service.objectNamespace)
        } catch {
            recorder.record(EventRecorder.ObjectReference(service), type: "Warning", reason: "FailedToUpdateEndpointSlices",
                            message: "Error updating Endpoint Slices for Service \(key): \(error)")
            throw error
        }
        return .done
    }

    /// Creates, then updates, then deletes (upstream's order: the new endpoints are there before old go).
    func apply(_ plan: EndpointSlicePlan, service key: String, namespace: String) async throws {
        let api = client.api(discovery.v1.EndpointSlice.self, namespace: namespace)
        for slice in plan.creates {
            let created = try await api.create(slice)
            tracker.wrote(key, name: created.objectName, resourceVersion: created.objectResourceVersion)
        }
        for slice in plan.updates {
            let updated = try await api.update(slice)
            tracker.wrote(key, name: updated.objectName, resourceVersion: updated.objectResourceVersion)
        }
        for slice in plan.deletes {
            do {
                _ = try await api.delete(slice.objectName, options: meta.v1.DeleteOptions(
                    preconditions: meta.v1.Preconditions(uid: slice.uid)))
            } catch let error as APIError where error.isNotFound {}
            tracker.deleted(key, name: slice.objectName)
        }
    }
}

extension EndpointSliceSyncer: Reconciler {
    func reconcile(_ key: String) async throws -> Requeue { try await sync(key) }
}

/// What of a pod its endpoints show: an update changing none of it needs no sync (upstream's
/// `podEndpointsChanged`).
struct PodEndpointFacts: Equatable {
    var labels: [String: String]
    var addresses: [String]
    var ready: Bool
    var deleting: Bool
    var terminated: Bool
    var nodeName: String
    var hostname: String?
    var subdomain: String?
    var ports: [core.v1.ContainerPort]

    init(_ pod: core.v1.Pod) {
        labels = pod.objectLabels
        addresses = ServiceEndpoints.addresses(of: pod)
        ready = pod.isReady
        deleting = pod.isBeingDeleted
        terminated = pod.isTerminated
        nodeName = pod.nodeName
        hostname = pod.spec?.hostname
        subdomain = pod.spec?.subdomain
        ports = (pod.spec?.containers ?? []).flatMap { $0.ports ?? [] }
    }
}

/// What a controller wrote and its cache has not shown yet (upstream's `EndpointSliceTracker`): a sync
/// planned from a cache missing its own last writes would create the same slices twice, so it waits.
final class WrittenObjectTracker: Sendable {
    enum Expected: Equatable {
        case atLeast(UInt64)
        case gone
    }

    let state = Mutex<[String: [String: Expected]]>([:])

    func wrote(_ owner: String, name: String, resourceVersion: String) {
        state.withLock { $0[owner, default: [:]][name] = .atLeast(UInt64(resourceVersion) ?? 0) }
    }

    func deleted(_ owner: String, name: String) {
        state.withLock { $0[owner, default: [:]][name] = .gone }
    }

    func forget(_ owner: String) {
        state.withLock { $0[owner] = nil }
    }

    /// Whether `cached` lacks a write of ours; what it shows is crossed off.
    func isStale<Object: InformerObject>(_ owner: String, cached: [Object]) -> Bool {
        state.withLock { state -> Bool in
            guard var expected = state[owner] else { return false }
            let byName = Dictionary(cached.map { ($0.objectName, $0) }, uniquingKeysWith: { first, _ in first })
            for (name, expectation) in expected {
                switch expectation {
                case .gone: if byName[name] == nil { expected[name] = nil }
                case .atLeast(let version):
                    if let object = byName[name], (UInt64(object.objectResourceVersion) ?? 0) >= version { expected[name] = nil }
                }
            }
            state[owner] = expected.isEmpty ? nil : expected
            return !expected.isEmpty
        }
    }
}
