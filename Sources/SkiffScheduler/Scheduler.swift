import Foundation
public import Logging
public import ServiceLifecycle
import SkiffAPI
public import SkiffClient
import Synchronization

/// The scheduler (kube-scheduler): watches pods and nodes, places each unscheduled pod whose `schedulerName`
/// is ours on a node, binds it through `pods/binding`, and reports `Scheduled` / `FailedScheduling` events.
/// A `Service`: `run()` schedules until graceful shutdown or cancellation.
public final class Scheduler: Service, Sendable {
    public let client: RESTClient
    public let schedulerName: String
    let informers: SharedInformerFactory
    let ownsInformers: Bool
    let recorder: EventRecorder
    let logger: Logger
    /// Queue, cache and algorithm behind one lock: a scheduling decision sees one consistent cluster.
    let state: Mutex<State>
    let wakeups: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation
    /// Bindings in flight at most, so a slow API server bounds memory rather than grows it.
    let maxConcurrentBindings = 64

    struct State: Sendable {
        var queue = SchedulingQueue()
        var cache = NodeCache()
        var algorithm = SchedulingAlgorithm()
    }

    /// A scheduler using `client`; pass `informers` to share a factory the caller runs, else it runs its own.
    public init(client: RESTClient, schedulerName: String = "default-scheduler",
                informers: SharedInformerFactory? = nil, logger: Logger) {
        self.client = client
        self.schedulerName = schedulerName
        self.informers = informers ?? SharedInformerFactory(client: client, transform: InformerTransforms.stripManagedFields, logger: logger)
        ownsInformers = informers == nil
        recorder = EventRecorder(client: client, component: schedulerName, logger: logger)
        self.logger = logger
        state = Mutex(State())
        (wakeups, wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }


    public func run() async throws {
        let podInformer = informers.informer(core.v1.Pod.self)
        let nodeInformer = informers.informer(core.v1.Node.self)
        await withDiscardingTaskGroup { group in
            if ownsInformers { group.addTask { try? await self.informers.run() } }
            group.addTask { await self.recorder.run() }
            group.addTask {
                for await event in nodeInformer.events() { self.handleNode(event) }
            }
            group.addTask {
                for await event in podInformer.events() { self.handlePod(event) }
            }
            group.addTask { await self.tick() }
            group.addTask {
                await podInformer.waitForSync()
                await nodeInformer.waitForSync()
                await self.scheduleLoop()
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Moves pods whose backoff ended; wakes the loop.
    func tick() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: .milliseconds(100)) } catch { return }
            let now = ContinuousClock.now
            state.withLock { $0.queue.flush(now: now) }
            wake.yield()
        }
    }

    func handleNode(_ event: InformerEvent<core.v1.Node>) {
        let now = ContinuousClock.now
        switch event {
        case .added(let node), .updated(_, let node):
            let spec = NodeInfo.Spec(node)
            state.withLock { state in
                if state.cache.upsertNode(spec) { state.queue.moveAllToActiveOrBackoff(now: now) }
            }
        case .deleted(let node, _):
            state.withLock { $0.cache.removeNode(node.objectName) }
        }
        wake.yield()
    }

    func handlePod(_ event: InformerEvent<core.v1.Pod>) {
        let now = ContinuousClock.now
        switch event {
        case .added(let model), .updated(_, let model):
            let pod = PodInfo(model)
            state.withLock { state in
                if !pod.nodeName.isEmpty {
                    state.queue.remove(key: pod.key)
                    if state.cache.addOrUpdatePod(pod) { state.queue.moveWaitingForPods(now: now) }
                    if pod.isTerminal { state.queue.moveAllToActiveOrBackoff(now: now) }
                } else if isResponsible(for: pod) && !state.cache.isAssumed(key: pod.key) {
                    state.queue.addOrUpdate(pod, now: now)
                } else {
                    state.queue.remove(key: pod.key)
                }
            }
        case .deleted(let model, _):
            let key = model.objectKey
            state.withLock { state in
                state.queue.remove(key: key)
                if state.cache.removePod(key: key) { state.queue.moveAllToActiveOrBackoff(now: now) }
            }
        }
        wake.yield()
    }

    /// Ours, unscheduled, not terminating and not finished.
    func isResponsible(for pod: PodInfo) -> Bool {
        let name = pod.schedulerName.isEmpty ? "default-scheduler" : pod.schedulerName
        return name == schedulerName && pod.nodeName.isEmpty && !pod.isDeleting && !pod.isTerminal
    }

    enum Decision {
        case bind(PodInfo, node: String, cycle: Int)
        case unschedulable(PodInfo, FitError, cycle: Int)
    }

    /// One scheduling cycle: pop a pod, choose a node, assume it there.
    func scheduleOne() -> Decision? {
        state.withLock { state -> Decision? in
            guard let pod = state.queue.pop() else { return nil }
            let cycle = state.queue.schedulingCycle
            switch state.algorithm.schedule(pod, in: state.cache) {
            case .success(let node):
                state.cache.assume(pod, on: node)
                state.queue.done(key: pod.key)
                return .bind(pod, node: node, cycle: cycle)
            case .failure(let error):
                state.queue.failed(key: pod.key, unschedulable: true, cycle: cycle, now: .now)
                return .unschedulable(pod, error, cycle: cycle)
            }
        }
    }

    func scheduleLoop() async {
        var wakeIterator = wakeups.makeAsyncIterator()
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            while !Task.isCancelled {
                guard let decision = scheduleOne() else {
                    if await wakeIterator.next() == nil { break }
                    continue
                }
                if inFlight >= maxConcurrentBindings {
                    _ = await group.next()
                    inFlight -= 1
                }
                inFlight += 1
                switch decision {
                case .bind(let pod, let node, let cycle):
                    group.addTask { await self.bind(pod, to: node, cycle: cycle) }
                case .unschedulable(let pod, let error, _):
                    group.addTask { await self.reportUnschedulable(pod, error) }
                }
            }
            group.cancelAll()
        }
    }
}
