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
    public func status(now: Date, hostIP: String, podIP: String? = nil, startTime: Date, previous: JSONValue?,
                       qosClass: String? = nil) -> JSONValue {
        let phase = self.phase
        let time = { (date: Date) in JSONValue.string(meta.v1.Time(date).rfc3339) }
        func condition(_ type: String, _ ok: Bool, reason: String?, message: String?) -> JSONValue {
            let status = ok ? "True" : "False"
            let old = previous?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
            let since = old?["status"]?.stringValue == status ? (old?["lastTransitionTime"] ?? time(now)) : time(now)
            var object: JSONObject = ["type": .string(type), "status": .string(status), "lastProbeTime": nil,
                                      "lastTransitionTime": since]
            if !ok, let reason { object["reason"] = .string(reason) }
            if !ok, let message { object["message"] = .string(message) }
            return .object(object)
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
        var status: JSONObject = [
            "phase": .string(phase.rawValue),
            "conditions": [
                condition("PodReadyToStartContainers", !done, reason: nil, message: nil),
                condition("Initialized", initialized, reason: "ContainersNotInitialized",
                          message: "containers with incomplete status: [\(uninitialized.joined(separator: " "))]"),
                condition("Ready", unready.isEmpty, reason: notReadyReason, message: notReadyMessage),
                condition("ContainersReady", unready.isEmpty, reason: notReadyReason, message: notReadyMessage),
                condition("PodScheduled", true, reason: nil, message: nil),
            ],
            "hostIP": .string(hostIP), "hostIPs": [["ip": .string(hostIP)]],
            "podIP": .string(podIP ?? hostIP), "podIPs": [["ip": .string(podIP ?? hostIP)]],
            "startTime": previous?["startTime"] ?? time(startTime),
            "containerStatuses": .array(containers.map { containerStatus($0, time: time) }),
        ]
        if let qos = previous?["qosClass"] ?? qosClass.map(JSONValue.string) { status["qosClass"] = qos }
        if !initContainers.isEmpty {
            status["initContainerStatuses"] = .array(initContainers.map { containerStatus($0, time: time) })
        }
        return .object(status)
    }

    func containerStatus(_ container: Container, time: (Date) -> JSONValue) -> JSONValue {
        func terminated(_ t: Terminated) -> JSONValue {
            ["exitCode": .int(Int64(t.exitCode)), "reason": .string(t.reason), "startedAt": time(t.startedAt),
             "finishedAt": time(t.finishedAt), "containerID": .string(t.containerID)]
        }
        var status: JSONObject = ["name": .string(container.name), "image": .string(container.image),
                                  "imageID": .string(container.imageID), "restartCount": .int(Int64(container.restartCount))]
        var ready = false
        switch container.state {
        case .waiting(let reason, let message):
            var waiting: JSONObject = ["reason": .string(reason)]
            if let message { waiting["message"] = .string(message) }
            status["state"] = ["waiting": .object(waiting)]
        case .running(let id, let startedAt):
            status["state"] = ["running": ["startedAt": time(startedAt)]]
            status["containerID"] = .string(id)
            ready = (!container.isInit || container.isSidecar) && container.isReady
        case .terminated(let t):
            status["state"] = ["terminated": terminated(t)]
            status["containerID"] = .string(t.containerID)
            ready = container.isInit && !container.isSidecar && t.exitCode == 0
        }
        if let last = container.lastTerminated {
            status["lastState"] = ["terminated": terminated(last)]
            if status["containerID"] == nil { status["containerID"] = .string(last.containerID) }
        } else {
            status["lastState"] = [:]
        }
        status["ready"] = .bool(ready)
        status["started"] = .bool(container.isStarted)
        return .object(status)
    }
}
