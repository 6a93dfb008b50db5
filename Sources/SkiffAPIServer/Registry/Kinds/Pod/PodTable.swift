import Foundation
import SkiffAPI

/// The `kubectl get pods` table (upstream's `printPod`).
extension PodKind {
    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Ready"), P.column("Status"), P.column("Restarts"), P.ageColumn,
                  P.column("IP", wide: true), P.column("Node", wide: true), P.column("Nominated Node", wide: true),
                  P.column("Readiness Gates", wide: true)],
        row: { pod, now in
            let status = pod["status"] ?? [:]
            let sidecars = sidecarNames(pod)
            // Native sidecars count in READY and RESTARTS once started, as upstream's printer counts them.
            let startedSidecars = (status["initContainerStatuses"]?.arrayValue ?? []).filter {
                sidecars.contains($0["name"]?.stringValue ?? "") && $0["started"]?.boolValue == true
            }
            let statuses = (status["containerStatuses"]?.arrayValue ?? []) + startedSidecars
            let total = (pod["spec"]?["containers"]?.arrayValue?.count ?? 0) + sidecars.count
            let ready = statuses.filter { $0["ready"]?.boolValue == true }.count
            var restarts: Int64 = 0
            var lastRestart: Date? = nil
            for container in statuses {
                restarts += container["restartCount"]?.intValue ?? 0
                if let finished = container["lastState"]?["terminated"]?["finishedAt"]?.stringValue, let date = Age.parseTimestamp(finished) {
                    if lastRestart.map({ date > $0 }) ?? true { lastRestart = date }
                }
            }
            var restartText = String(restarts)
            if restarts > 0, let lastRestart { restartText += " (\(Age.humanDuration(now.timeIntervalSince(lastRestart))) ago)" }
            let nominated = status["nominatedNodeName"]?.stringValue ?? ""
            let gates = pod["spec"]?["readinessGates"]?.arrayValue ?? []
            let gateText: String
            if gates.isEmpty {
                gateText = "<none>"
            } else {
                let conditions = status["conditions"]?.arrayValue ?? []
                let passed = gates.filter { gate in
                    conditions.contains { $0["type"] == gate["conditionType"] && $0["status"]?.stringValue == "True" }
                }.count
                gateText = "\(passed)/\(gates.count)"
            }
            return [P.name(pod), .string("\(ready)/\(total)"), .string(podStatus(pod)), .string(restartText), P.age(pod, now),
                    .string(status["podIP"]?.stringValue ?? "<none>"), .string(P.nonEmpty(pod["spec"]?["nodeName"]?.stringValue)),
                    .string(P.nonEmpty(nominated)), .string(gateText)]
        })

    /// Init containers with `restartPolicy: Always`.
    static func sidecarNames(_ pod: JSONValue) -> Set<String> {
        Set((pod["spec"]?["initContainers"]?.arrayValue ?? []).filter { $0["restartPolicy"]?.stringValue == "Always" }
            .compactMap { $0["name"]?.stringValue })
    }

    /// The STATUS column: the pod's reason or phase, refined by init and app container states.
    static func podStatus(_ pod: JSONValue) -> String {
        let status = pod["status"] ?? [:]
        var reason = status["phase"]?.stringValue ?? "Pending"
        if let r = status["reason"]?.stringValue, !r.isEmpty { reason = r }
        let initSpecs = pod["spec"]?["initContainers"]?.arrayValue ?? []
        let sidecars = sidecarNames(pod)
        var initializing = false
        for (i, container) in (status["initContainerStatuses"]?.arrayValue ?? []).enumerated() {
            let state = container["state"] ?? [:]
            if sidecars.contains(container["name"]?.stringValue ?? ""), container["started"]?.boolValue == true { continue }
            if let terminated = state["terminated"], terminated != .null {
                if terminated["exitCode"]?.intValue == 0 { continue }
                initializing = true
                if let r = terminated["reason"]?.stringValue, !r.isEmpty {
                    reason = "Init:" + r
                } else if let signal = terminated["signal"]?.intValue, signal != 0 {
                    reason = "Init:Signal:\(signal)"
                } else {
                    reason = "Init:ExitCode:\(terminated["exitCode"]?.intValue ?? 0)"
                }
            } else if let waiting = state["waiting"]?["reason"]?.stringValue, !waiting.isEmpty, waiting != "PodInitializing" {
                initializing = true
                reason = "Init:" + waiting
            } else {
                initializing = true
                reason = "Init:\(i)/\(initSpecs.count)"
            }
            break
        }
        let initialized = (status["conditions"]?.arrayValue ?? []).contains { $0["type"] == "Initialized" && $0["status"] == "True" }
        if !initializing || initialized {
            var hasRunning = false
            for container in (status["containerStatuses"]?.arrayValue ?? []).reversed() {
                let state = container["state"] ?? [:]
                if let waiting = state["waiting"]?["reason"]?.stringValue, !waiting.isEmpty {
                    reason = waiting
                } else if let terminated = state["terminated"], terminated != .null {
                    if let r = terminated["reason"]?.stringValue, !r.isEmpty {
                        reason = r
                    } else if let signal = terminated["signal"]?.intValue, signal != 0 {
                        reason = "Signal:\(signal)"
                    } else {
                        reason = "ExitCode:\(terminated["exitCode"]?.intValue ?? 0)"
                    }
                } else if container["ready"]?.boolValue == true, state["running"] != nil {
                    hasRunning = true
                }
            }
            if reason == "Completed" && hasRunning {
                let ready = (status["conditions"]?.arrayValue ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }
                reason = ready ? "Running" : "NotReady"
            }
        }
        if pod["metadata"]?["deletionTimestamp"] != nil {
            reason = status["reason"]?.stringValue == "NodeLost" ? "Unknown" : "Terminating"
        }
        return reason
    }
}
