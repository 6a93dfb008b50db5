public import Foundation

/// One pod's lifecycle on a node as a pure state machine (STYLE 7): init containers in order, then the
/// containers; restarts by `restartPolicy` with exponential back-off (10 s doubling to 5 min, the first
/// restart at once, as the kubelet's `doBackOff`); graceful termination (SIGTERM, SIGKILL at the deadline).
/// It does no I/O: events go in (`started`, `failedToStart`, `exited`, `terminate`) and `step` returns the
/// actions the pod worker carries out.
public struct PodMachine: Sendable {
    public enum RestartPolicy: String, Sendable { case always = "Always", onFailure = "OnFailure", never = "Never" }

    public struct Terminated: Sendable, Equatable {
        public var exitCode: Int32
        public var startedAt: Date
        public var finishedAt: Date
        public var containerID: String
        /// What the runtime said ended it (`OOMKilled`); else the reason follows from the exit code.
        public var runtimeReason: String?
        public var reason: String { runtimeReason ?? (exitCode == 0 ? "Completed" : "Error") }
    }

    public enum State: Sendable, Equatable {
        case waiting(reason: String, message: String?)
        case running(containerID: String, startedAt: Date)
        case terminated(Terminated)
    }

    public struct Container: Sendable, Equatable {
        public var name: String
        public var isInit: Bool
        /// An init container with `restartPolicy: Always` (a native sidecar): started in order with the other
        /// init containers but not waited for to exit, restarted whenever it exits, stopped after the containers.
        public var isSidecar = false
        public var restartCount = 0
        public var state: State
        public var lastTerminated: Terminated?
        /// The delay before the next restart; nil until the first restart (which is immediate).
        var backOff: Duration?
        /// While backing off: when to try again.
        var retryAt: Date?
        /// A start was asked for and not yet answered.
        var starting = false
        var everStarted = false
        var image: String = ""
        var imageID: String = ""
        /// While a pull keeps failing: when the waiting reason turns from `ErrImagePull` to `ImagePullBackOff`.
        var pullBackOffAt: Date?
        /// The image whose pull failed.
        var failedImage: String?
        /// Which probes the container has, and their thresholds.
        var probes = ContainerProbes()
        /// The probes' results for the current run (reset at each start).
        var probeState = ProbeState()

        var succeeded: Bool {
            if case .terminated(let t) = state { return t.exitCode == 0 }
            return false
        }
        var runningID: String? {
            if case .running(let id, _) = state { return id }
            return nil
        }
    }

    public enum Action: Sendable, Equatable {
        case start(container: String, restartCount: Int)
        case stop(containerID: String, force: Bool)
        /// Call `step` again at this time (a back-off ends, or the grace period does).
        case wake(at: Date)
        /// Every container is gone from a terminating pod: delete the object for good.
        case deletePod
        /// Record a Kubernetes event about the pod (or one of its containers).
        case event(Event)
    }

    /// An event to record, in the kubelet's reasons and wording.
    public struct Event: Sendable, Equatable {
        /// The container it is about (nil: the pod itself).
        public var container: String?
        public var isInit: Bool
        /// `Normal` or `Warning`.
        public var type: String
        public var reason: String
        public var message: String

        /// `spec.containers{c}` or `spec.initContainers{c}`, as the kubelet's container references.
        public var fieldPath: String {
            guard let container else { return "" }
            return isInit ? "spec.initContainers{\(container)}" : "spec.containers{\(container)}"
        }
    }

    public static let initialBackOff: Duration = .seconds(10)
    public static let maxBackOff: Duration = .seconds(300)

    /// `name_namespace(uid)`, as the kubelet names a pod in messages.
    public let podDescription: String
    public let restartPolicy: RestartPolicy
    public internal(set) var initContainers: [Container]
    public internal(set) var containers: [Container]
    /// Set once termination was asked for: the moment SIGKILL follows SIGTERM.
    public private(set) var killDeadline: Date?
    var signalled: Set<String> = []
    var forced: Set<String> = []
    var deleteRequested = false
    /// Every init container has succeeded (sidecars: started) once: the containers run from then on, whatever
    /// a sidecar does later.
    var initialized = false
    /// Actions decided by an event (a probe's verdict, a failed hook), returned by the next `step`.
    var pending: [Action] = []
    /// How long a start that failed for want of configuration (`CreateContainerConfigError`, a volume that
    /// cannot be set up) waits before it is tried again: the pod worker's fixed retry, not the crash back-off.
    public let syncRetry: Duration

    public init(podDescription: String, initContainers: [String], containers: [String], restartPolicy: RestartPolicy,
                probes: [String: ContainerProbes] = [:], syncRetry: Duration = .seconds(10), sidecars: Set<String> = []) {
        self.podDescription = podDescription
        self.restartPolicy = restartPolicy
        self.syncRetry = syncRetry
        let waitingInit = State.waiting(reason: "PodInitializing", message: nil)
        self.initContainers = initContainers.map {
            Container(name: $0, isInit: true, isSidecar: sidecars.contains($0), state: waitingInit,
                      probes: sidecars.contains($0) ? probes[$0] ?? ContainerProbes() : ContainerProbes())
        }
        let first = State.waiting(reason: initContainers.isEmpty ? "ContainerCreating" : "PodInitializing", message: nil)
        self.containers = containers.map {
            Container(name: $0, isInit: false, state: first, probes: probes[$0] ?? ContainerProbes())
        }
    }

    // MARK: Events

    /// The runtime started `name` (with this image) as `containerID`.
    public mutating func started(_ name: String, containerID: String, at time: Date, image: String, imageID: String) {
        update(name) {
            if $0.everStarted { $0.restartCount += 1 }
            $0.everStarted = true
            $0.starting = false
            $0.retryAt = nil
            $0.pullBackOffAt = nil
            $0.failedImage = nil
            $0.state = .running(containerID: containerID, startedAt: time)
            $0.probeState = ProbeState()
            $0.image = image
            $0.imageID = imageID
        }
    }

    /// `name` could not be started (image missing, program missing …): it waits with `reason` and is
    /// tried again after the back-off.
    /// A failed image pull (`ErrImagePull`) shows for the first half of the back-off, then turns to
    /// `ImagePullBackOff` until the retry, as upstream's image back-off alternates the two.
    /// With `backOff: false` (configuration not there yet, a volume not ready) it is tried again after
    /// `syncRetry`, without growing the back-off.
    public mutating func failedToStart(_ name: String, reason: String, message: String?, now: Date, image: String? = nil,
                                       backOff: Bool = true) {
        let retry = syncRetry
        update(name) {
            $0.starting = false
            $0.state = .waiting(reason: reason, message: message)
            guard backOff else {
                $0.retryAt = now.addingTimeInterval(retry.timeInterval)
                $0.pullBackOffAt = nil
                return
            }
            let delay = $0.backOff ?? Self.initialBackOff
            $0.retryAt = now.addingTimeInterval(delay.timeInterval)
            $0.backOff = min(delay * 2, Self.maxBackOff)
            let pulling = reason == Self.errImagePull
            $0.pullBackOffAt = pulling ? now.addingTimeInterval(delay.timeInterval / 2) : nil
            $0.failedImage = pulling ? image : nil
        }
    }

    static let errImagePull = "ErrImagePull"
    static let imagePullBackOff = "ImagePullBackOff"

    /// The container `containerID` ended with `exitCode` (and the runtime's `reason`, e.g. `OOMKilled`).
    public mutating func exited(containerID: String, exitCode: Int32, at time: Date, reason: String? = nil) {
        for index in initContainers.indices where initContainers[index].runningID == containerID {
            initContainers[index].state = .terminated(terminated(initContainers[index], containerID, exitCode, time, reason))
        }
        for index in containers.indices where containers[index].runningID == containerID {
            containers[index].state = .terminated(terminated(containers[index], containerID, exitCode, time, reason))
        }
    }

    private func terminated(_ container: Container, _ id: String, _ code: Int32, _ time: Date, _ reason: String?) -> Terminated {
        var startedAt = time
        if case .running(_, let started) = container.state { startedAt = started }
        return Terminated(exitCode: code, startedAt: startedAt, finishedAt: time, containerID: id, runtimeReason: reason)
    }

    /// The pod is being deleted: stop everything, SIGKILL after `grace`.
    public mutating func terminate(grace: Duration, now: Date) {
        guard killDeadline == nil else { return }
        killDeadline = now.addingTimeInterval(max(grace, .zero).timeInterval)
    }

    public var isTerminating: Bool { killDeadline != nil }

    /// Every container ID the runtime still runs.
    public var runningContainerIDs: [String] { (initContainers + containers).compactMap(\.runningID) }

    // MARK: Stepping

    /// What to do now.
    public mutating func step(now: Date) -> [Action] {
        var actions = pending
        pending = []
        if let deadline = killDeadline { return actions + stepTerminating(now: now, deadline: deadline) }
        if phase == .succeeded || phase == .failed {
            // The containers are done for good: the sidecars that served them go, last first.
            return actions + stopSidecars(now: now, force: false)
        }
        let (policy, pod) = (restartPolicy, podDescription)
        // Init containers in order: each regular one must succeed, each sidecar must have started, before the
        // next; sidecars already reached are kept running (restarted whatever the pod's policy).
        for index in initContainers.indices {
            if initContainers[index].isSidecar {
                Self.stepContainer(&initContainers[index], policy: .always, pod: pod, now: now, actions: &actions)
                if !initialized, !initContainers[index].isStarted { return actions }
            } else if !initialized, !initContainers[index].succeeded {
                Self.stepContainer(&initContainers[index], policy: policy, pod: pod, now: now, actions: &actions)
                return actions
            }
        }
        initialized = true
        for index in containers.indices {
            Self.stepContainer(&containers[index], policy: policy, pod: pod, now: now, actions: &actions)
        }
        return actions
    }

    /// SIGTERM to the running sidecars, in reverse order: each once the ones after it have stopped
    /// (SIGKILL to all of them with `force`).
    mutating func stopSidecars(now: Date, force: Bool) -> [Action] {
        var actions: [Action] = []
        for container in initContainers.reversed() where container.isSidecar {
            guard let id = container.runningID else { continue }
            if force {
                if !forced.contains(id) {
                    forced.insert(id)
                    actions.append(.stop(containerID: id, force: true))
                }
                continue
            }
            if !signalled.contains(id) {
                signalled.insert(id)
                actions.append(.event(Event(container: container.name, isInit: true, type: "Normal", reason: "Killing",
                                            message: "Stopping container \(container.name)")))
                actions.append(.stop(containerID: id, force: false))
            }
            break
        }
        return actions
    }

    private mutating func stepTerminating(now: Date, deadline: Date) -> [Action] {
        var actions: [Action] = []
        let sidecarIDs = Set(initContainers.filter(\.isSidecar).compactMap(\.runningID))
        let running = runningContainerIDs
        // The containers first; the sidecars once nothing else runs (they may serve the others to the end).
        let others = running.filter { !sidecarIDs.contains($0) }
        if others.isEmpty { actions += stopSidecars(now: now, force: false) }
        for id in others where !signalled.contains(id) {
            signalled.insert(id)
            if let container = (initContainers + containers).first(where: { $0.runningID == id }) {
                actions.append(.event(Event(container: container.name, isInit: container.isInit, type: "Normal",
                                            reason: "Killing", message: "Stopping container \(container.name)")))
            }
            actions.append(.stop(containerID: id, force: false))
        }
        if now >= deadline {
            for id in running where !forced.contains(id) {
                forced.insert(id)
                actions.append(.stop(containerID: id, force: true))
            }
        } else if !running.isEmpty {
            actions.append(.wake(at: deadline))
        }
        if running.isEmpty, !deleteRequested {
            deleteRequested = true
            actions.append(.deletePod)
        }
        return actions
    }

    private static func shouldRestart(_ terminated: Terminated, policy: RestartPolicy) -> Bool {
        switch policy {
        case .always: true
        case .onFailure: terminated.exitCode != 0
        case .never: false
        }
    }

    private static func stepContainer(_ container: inout Container, policy: RestartPolicy, pod: String, now: Date,
                                      actions: inout [Action]) {
        guard !container.starting else { return }
        switch container.state {
        case .running(let id, _):
            // Killed for a failed liveness or startup probe (or postStart hook): SIGKILL once the grace is over.
            if let at = container.probeState.killAt, !container.probeState.killForced {
                if at <= now {
                    container.probeState.killForced = true
                    actions.append(.stop(containerID: id, force: true))
                } else {
                    actions.append(.wake(at: at))
                }
            }
            return
        case .waiting:
            if let retryAt = container.retryAt, retryAt > now {
                if let at = container.pullBackOffAt {
                    if at <= now {
                        Self.enterPullBackOff(&container, actions: &actions)
                    } else {
                        actions.append(.wake(at: at))
                    }
                }
                actions.append(.wake(at: retryAt))
                return
            }
        case .terminated(let terminated):
            // An init container that succeeded is done whatever the policy.
            guard !(container.isInit && terminated.exitCode == 0), shouldRestart(terminated, policy: policy) else { return }
            container.lastTerminated = terminated
            guard let delay = container.backOff else {
                container.backOff = Self.initialBackOff
                break
            }
            container.backOff = min(delay * 2, Self.maxBackOff)
            let retryAt = terminated.finishedAt.addingTimeInterval(delay.timeInterval)
            container.retryAt = retryAt
            container.state = .waiting(
                reason: "CrashLoopBackOff",
                message: "back-off \(Self.format(delay)) restarting failed container=\(container.name) pod=\(pod)")
            actions.append(.event(Event(
                container: container.name, isInit: container.isInit, type: "Warning", reason: "BackOff",
                message: "Back-off restarting failed container \(container.name) in pod \(pod)")))
            if retryAt > now {
                actions.append(.wake(at: retryAt))
                return
            }
        }
        container.starting = true
        container.retryAt = nil
        actions.append(.start(container: container.name, restartCount: container.everStarted ? container.restartCount + 1 : 0))
    }

    /// The image back-off begins: the kubelet's `Back-off pulling image` event and waiting reason.
    private static func enterPullBackOff(_ container: inout Container, actions: inout [Action]) {
        container.pullBackOffAt = nil
        let message = "Back-off pulling image \"\(container.failedImage ?? container.image)\""
        container.state = .waiting(reason: imagePullBackOff, message: message)
        actions.append(.event(Event(container: container.name, isInit: container.isInit, type: "Normal",
                                    reason: "BackOff", message: message)))
        actions.append(.event(Event(container: container.name, isInit: container.isInit, type: "Warning",
                                    reason: "Failed", message: "Error: \(imagePullBackOff)")))
    }

    /// Go's `time.Duration` string for whole seconds: `10s`, `1m20s`, `5m0s`.
    static func format(_ duration: Duration) -> String {
        let seconds = Int(duration.components.seconds)
        return seconds < 60 ? "\(seconds)s" : "\(seconds / 60)m\(seconds % 60)s"
    }

    private mutating func update(_ name: String, _ change: (inout Container) -> Void) {
        if let index = initContainers.firstIndex(where: { $0.name == name }) { change(&initContainers[index]) }
        if let index = containers.firstIndex(where: { $0.name == name }) { change(&containers[index]) }
    }
}

extension Duration {
    var timeInterval: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
