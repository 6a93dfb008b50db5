import Foundation
import Logging
import SkiffAPI
import SkiffImages
import Synchronization

/// The pod workers of one node: a `PodMachine` per pod, fed with pod updates and container exits, whose
/// actions this actor carries out against the runtime. Status writes and deletions are left to the
/// kubelet's writer (`pendingWrite`), so the actor never waits on the API server.
actor PodWorkers {
    struct Worker {
        var pod: core.v1.Pod
        var machine: PodMachine
        var startTime: Date
        var timer: Task<Void, Never>?
        var timerAt: Date?
        /// The status last written (or read from the API): nothing is written while it is unchanged.
        var written: core.v1.PodStatus?
        var wantsDelete = false
        /// The object is gone from the API: drop the worker once its containers are.
        var gone = false
        /// Found finished: it is only watched for its deletion.
        var dormant = false
        /// The sandbox the runtime made for the pod, once its first container is started.
        var sandbox: PodSandbox?
        /// The latest batch of starts (configuration, volumes, then the runtime); each batch waits for the
        /// one before, so a pod's volumes are never set up twice at once.
        var starting: Task<Void, Never>?
        /// Batches of starts begun and not yet finished.
        var startsInFlight = 0
        /// Brings configMap, secret, downwardAPI and projected volumes up to date every `syncFrequency`.
        var resync: Task<Void, Never>?
        /// Containers whose preStop hook was run, so a second stop does not run it again.
        var preStopped: Set<String> = []
    }

    let runtime: any ContainerRuntime
    /// Batches of starts under way on the whole node, readable without the actor (the event writer's hold).
    nonisolated let startsUnderWay: StartsUnderWay
    let images: ImageStore?
    let hostIP: String
    let logger: Logger
    /// Called with a pod's uid when it has something to write.
    let notify: @Sendable (String) -> Void
    /// Records an event about a pod.
    let record: @Sendable (_ pod: core.v1.Pod, _ event: PodMachine.Event) -> Void
    /// Reads the ConfigMaps and Secrets of env and volumes.
    let configSource: PodConfigSource
    /// `DATA_DIR/pods`: volumes go to `<uid>/volumes/…` (nil: the sandbox's directory).
    let podsDirectory: URL?
    /// How long a start waits after `CreateContainerConfigError` or a failed mount.
    let syncRetry: Duration
    /// How often a running pod's configMap, secret and downward API volumes are brought up to date.
    let syncFrequency: Duration
    /// Forms each sandbox's `/etc/resolv.conf` from the pod's `dnsPolicy` and `dnsConfig`.
    let dns: PodDNS
    /// Node allocatable, for downward API limits a container does not set.
    let allocatableMilliCPU = Int64(ProcessInfo.processInfo.activeProcessorCount) * 1000
    let allocatableMemory = Int64(NodeInfo.memoryKiB()) * 1024
    let prober = Prober()
    var workers: [String: Worker] = [:]
    var byContainer: [String: String] = [:]
    /// Runtime starts being awaited, and exits that arrived for containers those starts had not yet recorded.
    var startsInFlight = 0
    var earlyExits: [String: ContainerExit] = [:]
    /// The probe tasks of each running container, by container ID: cancelled when it exits.
    var probers: [String: [Task<Void, Never>]] = [:]

    init(runtime: any ContainerRuntime, images: ImageStore?, hostIP: String, logger: Logger,
         configSource: PodConfigSource = .none, podsDirectory: URL? = nil, syncRetry: Duration = .seconds(10),
         syncFrequency: Duration = .seconds(60), startsUnderWay: StartsUnderWay = StartsUnderWay(),
         dns: PodDNS = PodDNS(clusterDNS: [], clusterDomain: "cluster.local", resolvConf: "/etc/resolv.conf"),
         notify: @escaping @Sendable (String) -> Void,
         record: @escaping @Sendable (_ pod: core.v1.Pod, _ event: PodMachine.Event) -> Void = { _, _ in }) {
        self.record = record
        self.runtime = runtime
        self.images = images
        self.hostIP = hostIP
        self.logger = logger
        self.configSource = configSource
        self.podsDirectory = podsDirectory
        self.syncRetry = syncRetry
        self.syncFrequency = syncFrequency
        self.dns = dns
        self.notify = notify
        self.startsUnderWay = startsUnderWay
    }

    // MARK: Events

    func update(_ pod: core.v1.Pod) {
        let uid = pod.uid
        guard !uid.isEmpty else { return }
        if workers[uid] == nil {
            let policy = PodMachine.RestartPolicy(rawValue: pod.spec?.restartPolicy ?? "") ?? .always
            let grace = Duration.seconds(pod.terminationGracePeriod)
            // Native sidecars: init containers that restart Always run beside the containers (with their probes).
            let sidecars = pod.initContainers.filter(\.isSidecar)
            var probes: [String: PodMachine.ContainerProbes] = [:]
            for container in pod.containers + sidecars {
                probes[container.name] = ProbeSpec.machineProbes(container: container, podGrace: grace)
            }
            var machine = PodMachine(podDescription: "\(pod.objectName)_\(pod.objectNamespace)(\(uid))",
                                     initContainers: pod.initContainers.map(\.name), containers: pod.containers.map(\.name),
                                     restartPolicy: policy, probes: probes, syncRetry: syncRetry,
                                     sidecars: Set(sidecars.map(\.name)))
            // Finished before this kubelet started: nothing runs again; only a deletion is left to finish.
            let dormant = pod.isTerminated
            if dormant { machine.terminate(grace: .zero, now: Date()) }
            workers[uid] = Worker(pod: pod, machine: machine, startTime: Date(), written: dormant ? pod.status : nil,
                                  dormant: dormant)
        }
        workers[uid]?.pod = pod
        if workers[uid]?.dormant == true, !pod.isBeingDeleted { return }
        if pod.isBeingDeleted, workers[uid]?.machine.isTerminating == false {
            let grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.terminationGracePeriod
            workers[uid]?.machine.terminate(grace: .seconds(grace), now: Date())
        }
        sync(uid)
    }

    func removed(_ pod: core.v1.Pod) {
        let uid = pod.uid
        guard workers[uid] != nil else { return }
        workers[uid]?.gone = true
        workers[uid]?.machine.terminate(grace: .seconds(pod.terminationGracePeriod), now: Date())
        sync(uid)
    }

    func exited(_ exit: ContainerExit) {
        stopProbers(exit.containerID)
        guard let uid = byContainer.removeValue(forKey: exit.containerID) else {
            // Not known yet: its start is still being recorded (see `launch`).
            if startsInFlight > 0 { earlyExits[exit.containerID] = exit }
            return
        }
        workers[uid]?.machine.exited(containerID: exit.containerID, exitCode: exit.exitCode, at: exit.finishedAt,
                                     reason: exit.reason)
        sync(uid)
    }

    func wake(_ uid: String) {
        workers[uid]?.timerAt = nil
        sync(uid)
    }

    /// Shutdown: no more wake-ups, starts or probes; tmpfs volumes are unmounted, as the runtime stops the
    /// containers next and none can be adopted after a restart.
    func cancelTimers() async {
        for (uid, worker) in workers {
            worker.timer?.cancel()
            worker.starting?.cancel()
            worker.resync?.cancel()
            volumes(uid: uid, sandbox: worker.sandbox)?.unmount()
        }
        for tasks in probers.values { for task in tasks { task.cancel() } }
        probers = [:]
        await prober.shutdown()
    }

    // MARK: The writer's side

    struct Write: Sendable {
        var namespace: String
        var name: String
        var uid: String
        var status: core.v1.PodStatus?
        var delete: Bool
    }

    /// What the pod needs written now, if anything.
    func pendingWrite(_ uid: String) -> Write? {
        guard let worker = workers[uid], !worker.gone else { return nil }
        let pod = worker.pod
        if worker.wantsDelete {
            return Write(namespace: pod.objectNamespace, name: pod.objectName, uid: uid, status: nil, delete: true)
        }
        if worker.machine.isTerminating && worker.machine.runningContainerIDs.isEmpty && worker.written != nil { return nil }
        let status = worker.machine.status(now: Date(), hostIP: hostIP, podIP: worker.sandbox?.ip, startTime: worker.startTime,
                                           previous: worker.written ?? pod.status, qosClass: PodQOS.podClass(pod))
        if status == worker.written { return nil }
        return Write(namespace: pod.objectNamespace, name: pod.objectName, uid: uid, status: status, delete: false)
    }

    /// How long to hold back the pod's first status write, or nil to write it now. A new pod whose first
    /// starts are under way would have its Pending status replaced moments later (a runc container starts
    /// in tens of milliseconds), so it waits for the start to finish, for at most `firstStatusHold` after the
    /// pod arrived: a slow start (volumes, a large image) still shows ContainerCreating. In a burst this
    /// spares the API server a write per pod, and a Running write its wait behind the others' Pending ones.
    func statusHold(_ uid: String, now: Date = Date()) -> Duration? {
        guard let worker = workers[uid], worker.written == nil, worker.startsInFlight > 0, !worker.wantsDelete,
              !worker.machine.isTerminating else { return nil }
        let left = Self.firstStatusHold - now.timeIntervalSince(worker.startTime)
        return left > 0 ? .milliseconds(Int64(left * 1000) + 1) : nil
    }

    /// See `statusHold`.
    static let firstStatusHold: TimeInterval = 1

    func written(_ uid: String, status: core.v1.PodStatus?, deleted: Bool) {
        if deleted {
            finish(uid)
        } else if let status {
            workers[uid]?.written = status
        }
    }

    /// The pod's object is gone (deleted or never to be written again): forget the worker, and tear its pod
    /// down, once nothing of it runs and no start is under way. A pod deleted a moment after it arrived may
    /// still have its sandbox being made or a container being created: tearing down under them left the
    /// container running and its address taken after the pod was gone. Until then the worker stays, `gone`,
    /// and `sync` finishes it when the last start has ended and the last container stopped.
    func finish(_ uid: String) {
        guard let worker = workers[uid], worker.machine.runningContainerIDs.isEmpty, worker.startsInFlight == 0 else {
            workers[uid]?.gone = true
            if workers[uid]?.machine.isTerminating == false {
                workers[uid]?.machine.terminate(grace: .zero, now: Date())
            }
            return
        }
        worker.timer?.cancel()
        worker.starting?.cancel()
        worker.resync?.cancel()
        workers[uid] = nil
        volumes(uid: uid, sandbox: worker.sandbox)?.tearDown()
        runtime.removePod(uid: uid)
    }

    // MARK: Acting

    func sync(_ uid: String) {
        var wakeAt: Date?
        guard var machine = workers[uid]?.machine else { return }
        let actions = machine.step(now: Date())
        workers[uid]?.machine = machine
        var starts: [(name: String, restartCount: Int)] = []
        for action in actions {
            switch action {
            case .start(let name, let restartCount):
                starts.append((name, restartCount))
            case .stop(let id, let force):
                logger.debug("stopping", metadata: ["pod": "\(uid)", "container": "\(id)", "force": "\(force)"])
                stop(uid: uid, containerID: id, force: force)
            case .wake(let at):
                wakeAt = min(wakeAt ?? at, at)
            case .event(let event):
                if let pod = workers[uid]?.pod { record(pod, event) }
            case .deletePod:
                if workers[uid]?.gone == true {
                    finish(uid)
                    return
                }
                workers[uid]?.wantsDelete = true
            }
        }
        if !starts.isEmpty { beginStarts(uid, starts) }
        guard var worker = workers[uid] else { return }
        if worker.gone, worker.machine.isTerminating, worker.machine.runningContainerIDs.isEmpty, worker.startsInFlight == 0 {
            finish(uid)
            return
        }
        if let wakeAt, worker.timerAt != wakeAt {
            worker.timer?.cancel()
            worker.timerAt = wakeAt
            worker.timer = Task { [weak self] in
                try? await Task.sleep(for: .seconds(max(0, wakeAt.timeIntervalSinceNow)))
                guard !Task.isCancelled else { return }
                await self?.wake(uid)
            }
            workers[uid] = worker
        }
        notify(uid)
    }
}

/// How many batches of container starts are under way on the node: the kubelet's event writer holds its
/// writes back while any is (see `EventRecorder`).
final class StartsUnderWay: Sendable {
    private let count = Mutex(0)

    var isBusy: Bool { count.withLock { $0 > 0 } }
    func begin() { count.withLock { $0 += 1 } }
    func end() { count.withLock { $0 -= 1 } }
}
