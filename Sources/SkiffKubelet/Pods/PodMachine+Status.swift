public import Foundation
public import SkiffAPI

extension PodMachine {
    public enum Phase: String, Sendable { case pending = "Pending", running = "Running", succeeded = "Succeeded", failed = "Failed" }

    /// The pod's phase as the kubelet's `getPhase` computes it from its containers.
    public var phase: Phase {
        var failedInit = 0
        var pendingInit = 0
        for container in initContainers where !container.succeeded {
            // A sidecar holds the pod back only until it first started; after that it does not count.
            if container.isSidecar {
                if !initialized, !container.isStarted { pendingInit += 1 }
                continue
            }
            if initialized { continue }
            if case .terminated = container.state { failedInit += 1 }
            else if case .waiting = container.state, container.lastTerminated.map({ $0.exitCode != 0 }) == true { failedInit += 1 }
            else { pendingInit += 1 }
        }
        if failedInit > 0, restartPolicy == .never { return .failed }
        if failedInit > 0 || pendingInit > 0 { return .pending }
        var running = 0, waiting = 0, stopped = 0, succeeded = 0
        for container in containers {
            switch container.state {
            case .running: running += 1
            case .terminated(let t):
                stopped += 1
                if t.exitCode == 0 { succeeded += 1 }
            case .waiting:
                if container.lastTerminated != nil { stopped += 1 } else { waiting += 1 }
            }
        }
        if waiting > 0 { return .pending }
        if running > 0 { return .running }
        if stopped > 0 {
            if restartPolicy == .always { return .running }
            if stopped == succeeded { return .succeeded }
            if restartPolicy == .never { return .failed }
            return .running
        }
        return .pending
    }

    /// The pod's `status` as the kubelet reports it. `previous` is the status now stored: a condition that
    /// did not change keeps its `lastTransitionTime`.
    /// `qosClass` is written when the stored status has none.
    public func status(now: Date, hostIP: String, podIP: String? = nil, startTime: Date, previous: core.v1.PodStatus?,
                       qosClass: String? = nil) -> core.v1.PodStatus {
        let phase = self.phase
        func condition(_ type: String, _ ok: Bool, reason: String?, message: String?) -> core.v1.PodCondition {
            let status = ok ? "True" : "False"
            let old = previous?.conditions?.first { $0.type == type }
            let since = old?.status == status ? (old?.lastTransitionTime ?? meta.v1.Time(now)) : meta.v1.Time(now)
            // `lastProbeTime` is written as null, as the kubelet's (a zero `metav1.Time`).
            return core.v1.PodCondition(lastProbeTime: meta.v1.Time(rfc3339: ""), lastTransitionTime: since,
                                        message: ok ? nil : message, reason: ok ? nil : reason, status: status, type: type)
        }
        let uninitialized = initialized ? []
            : initContainers.filter { $0.isSidecar ? !$0.isStarted : !$0.succeeded }.map(\.name)
        // Sidecars are part of the pod's readiness once the pod is initialized, as upstream counts them.
        let unready = (initialized ? initContainers.filter(\.isSidecar) : []).filter { !$0.isReady }.map(\.name)
            + containers.filter { !$0.isReady }.map(\.name)
        let done = phase == .succeeded || phase == .failed
        let notReadyReason = done ? "PodCompleted" : "ContainersNotReady"
        let notReadyMessage = done ? nil : "containers with unready status: [\(unready.joined(separator: " "))]"
        let initialized = uninitialized.isEmpty || done && phase == .succeeded
        return core.v1.PodStatus(
            conditions: [
                condition("PodReadyToStartContainers", !done, reason: nil, message: nil),
                condition("Initialized", initialized, reason: "ContainersNotInitialized",
                          message: "containers with incomplete status: [\(uninitialized.joined(separator: " "))]"),
                condition("Ready", unready.isEmpty, reason: notReadyReason, message: notReadyMessage),
                condition("ContainersReady", unready.isEmpty, reason: notReadyReason, message: notReadyMessage),
                condition("PodScheduled", true, reason: nil, message: nil),
            ],
            containerStatuses: containers.map(containerStatus),
            hostIP: hostIP, hostIPs: [core.v1.HostIP(ip: hostIP)],
            initContainerStatuses: initContainers.isEmpty ? nil : initContainers.map(containerStatus),
            phase: phase.rawValue,
            podIP: podIP ?? hostIP, podIPs: [core.v1.PodIP(ip: podIP ?? hostIP)],
            qosClass: previous?.qosClass ?? qosClass,
            startTime: previous?.startTime ?? meta.v1.Time(startTime))
    }

    func containerStatus(_ container: Container) -> core.v1.ContainerStatus {
        func terminated(_ t: Terminated) -> core.v1.ContainerStateTerminated {
            core.v1.ContainerStateTerminated(containerID: t.containerID, exitCode: t.exitCode, finishedAt: meta.v1.Time(t.finishedAt),
                                             reason: t.reason, startedAt: meta.v1.Time(t.startedAt))
        }
        var status = core.v1.ContainerStatus(image: container.image, imageID: container.imageID, name: container.name,
                                             ready: false, restartCount: Int32(clamping: container.restartCount))
        var ready = false
        switch container.state {
        case .waiting(let reason, let message):
            status.state = core.v1.ContainerState(waiting: core.v1.ContainerStateWaiting(message: message, reason: reason))
        case .running(let id, let startedAt):
            status.state = core.v1.ContainerState(running: core.v1.ContainerStateRunning(startedAt: meta.v1.Time(startedAt)))
            status.containerID = id
            ready = (!container.isInit || container.isSidecar) && container.isReady
        case .terminated(let t):
            status.state = core.v1.ContainerState(terminated: terminated(t))
            status.containerID = t.containerID
            ready = container.isInit && !container.isSidecar && t.exitCode == 0
        }
        if let last = container.lastTerminated {
            status.lastState = core.v1.ContainerState(terminated: terminated(last))
            if status.containerID == nil { status.containerID = last.containerID }
        } else {
            // Written as `{}`, as the kubelet's (a zero `ContainerState`).
            status.lastState = core.v1.ContainerState()
        }
        status.ready = ready
        status.started = container.isStarted
        return status
    }
}
