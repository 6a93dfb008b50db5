public import Foundation

/// Probes as the pod machine sees them: verdicts come in as events (`probed`), thresholds are counted here as
/// upstream's probe worker counts them, and a failed liveness or startup probe (or postStart hook) becomes a
/// `Killing` event, a SIGTERM and, after the grace period, a SIGKILL. The probing itself is the pod worker's.
extension PodMachine {
    public enum ProbeKind: String, Sendable, CaseIterable {
        case liveness, readiness, startup

        /// `Liveness`, as upstream's events name it.
        public var title: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
    }

    /// How many results in a row change a probe's verdict (`successThreshold`, `failureThreshold`).
    public struct ProbeThresholds: Sendable, Equatable {
        public var success: Int
        public var failure: Int

        public init(success: Int = 1, failure: Int = 3) {
            self.success = max(success, 1)
            self.failure = max(failure, 1)
        }
    }

    /// The probes a container has; nil: none of that kind. `killGrace`: how long a container killed for a
    /// failed probe gets between SIGTERM and SIGKILL.
    public struct ContainerProbes: Sendable, Equatable {
        public var readiness: ProbeThresholds?
        public var liveness: ProbeThresholds?
        public var startup: ProbeThresholds?
        public var killGrace: Duration

        public init(readiness: ProbeThresholds? = nil, liveness: ProbeThresholds? = nil, startup: ProbeThresholds? = nil,
                    killGrace: Duration = .seconds(30)) {
            self.readiness = readiness
            self.liveness = liveness
            self.startup = startup
            self.killGrace = killGrace
        }

        func thresholds(_ kind: ProbeKind) -> ProbeThresholds? {
            switch kind {
            case .liveness: liveness
            case .readiness: readiness
            case .startup: startup
            }
        }
    }

    /// One run's probe results. Readiness starts as failure, startup as not yet; a liveness or startup
    /// failure puts the container on hold (no more verdicts) until it runs again.
    struct ProbeState: Sendable, Equatable {
        var ready = false
        var startupSucceeded = false
        var last: [ProbeKind: Bool] = [:]
        var runs: [ProbeKind: Int] = [:]
        var onHold = false
        var killAt: Date?
        var killForced = false
    }

    /// Whether the running container `containerID` wants a `kind` probe now: liveness and readiness wait for
    /// the startup probe; the startup probe stops once it succeeded; nothing is probed while being killed.
    public func wantsProbe(containerID: String, kind: ProbeKind) -> Bool {
        guard let container = (initContainers + containers).first(where: { $0.runningID == containerID }),
              container.probes.thresholds(kind) != nil, !container.probeState.onHold, killDeadline == nil else { return false }
        let started = container.probes.startup == nil || container.probeState.startupSucceeded
        return kind == .startup ? !started : started
    }

    /// A probe of `containerID` answered. Failures are recorded as `Unhealthy` events; the verdict changes
    /// after `successThreshold`/`failureThreshold` equal results in a row.
    public mutating func probed(containerID: String, kind: ProbeKind, success: Bool, output: String, now: Date) {
        guard wantsProbe(containerID: containerID, kind: kind) else { return }
        update(containerID: containerID) { container, pending in
            guard let thresholds = container.probes.thresholds(kind) else { return }
            if !success {
                pending.append(.event(Event(container: container.name, isInit: container.isInit, type: "Warning",
                                            reason: "Unhealthy", message: "\(kind.title) probe failed: \(output)")))
            }
            var state = container.probeState
            if state.last[kind] == success {
                state.runs[kind, default: 0] += 1
            } else {
                state.last[kind] = success
                state.runs[kind] = 1
            }
            let run = state.runs[kind] ?? 0
            container.probeState = state
            if (success && run < thresholds.success) || (!success && run < thresholds.failure) { return }
            switch (kind, success) {
            case (.readiness, let ok):
                container.probeState.ready = ok
            case (.startup, true):
                container.probeState.startupSucceeded = true
            case (.liveness, true):
                break
            case (.liveness, false), (.startup, false):
                Self.kill(&container, id: containerID, grace: container.probes.killGrace, now: now, pending: &pending,
                          message: "Container \(container.name) failed \(kind.rawValue) probe, will be restarted")
            }
        }
    }

    /// The container's postStart hook failed: upstream's `FailedPostStartHook` event, then it is killed and
    /// restarted as `restartPolicy` says.
    public mutating func postStartFailed(containerID: String, message: String, grace: Duration, now: Date) {
        update(containerID: containerID) { container, pending in
            pending.append(.event(Event(container: container.name, isInit: container.isInit, type: "Warning",
                                        reason: "FailedPostStartHook", message: message)))
            Self.kill(&container, id: containerID, grace: grace, now: now, pending: &pending, message: "FailedPostStartHook")
        }
    }

    private static func kill(_ container: inout Container, id: String, grace: Duration, now: Date, pending: inout [Action],
                             message: String) {
        guard container.probeState.killAt == nil else { return }
        container.probeState.onHold = true
        container.probeState.ready = false
        container.probeState.killAt = now.addingTimeInterval(max(grace, .zero).timeInterval)
        pending.append(.event(Event(container: container.name, isInit: container.isInit, type: "Normal", reason: "Killing",
                                    message: message)))
        pending.append(.stop(containerID: id, force: false))
    }

    private mutating func update(containerID: String, _ change: (inout Container, inout [Action]) -> Void) {
        var actions = pending
        if let index = initContainers.firstIndex(where: { $0.runningID == containerID }) {
            change(&initContainers[index], &actions)
        } else if let index = containers.firstIndex(where: { $0.runningID == containerID }) {
            change(&containers[index], &actions)
        }
        pending = actions
    }

    /// The name of the container `containerID` runs, if it still runs.
    public func containerName(running containerID: String) -> String? {
        (initContainers + containers).first { $0.runningID == containerID }?.name
    }
}

extension PodMachine.Container {
    /// Upstream's `started`: running, and the startup probe (if any) succeeded.
    var isStarted: Bool { runningID != nil && (probes.startup == nil || probeState.startupSucceeded) }

    /// Upstream's `ready`: started, and the readiness probe (if any) succeeded.
    var isReady: Bool { isStarted && (probes.readiness == nil || probeState.ready) }
}

extension PodMachine {
    /// When the running container `containerID` is SIGKILLed if it has not stopped: its probe kill's
    /// deadline, else the pod's.
    public func stopDeadline(containerID: String) -> Date? {
        (initContainers + containers).first { $0.runningID == containerID }?.probeState.killAt ?? killDeadline
    }
}
