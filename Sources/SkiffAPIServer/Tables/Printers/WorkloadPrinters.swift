import Foundation
import SkiffAPI

/// Tables of pods and the workloads that own them.
enum WorkloadPrinters {
    typealias P = Printers

    static let pods = ColumnPrinter(
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
                    .string(status["podIP"]?.stringValue ?? "<none>"), .string(nonEmpty(pod["spec"]?["nodeName"]?.stringValue)),
                    .string(nonEmpty(nominated)), .string(gateText)]
        })

    /// Init containers with `restartPolicy: Always`.
    static func sidecarNames(_ pod: JSONValue) -> Set<String> {
        Set((pod["spec"]?["initContainers"]?.arrayValue ?? []).filter { $0["restartPolicy"]?.stringValue == "Always" }
            .compactMap { $0["name"]?.stringValue })
    }

    static func nonEmpty(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "<none>" }
        return text
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

    static let deployments = ColumnPrinter(
        columns: [P.nameColumn, P.column("Ready"), P.column("Up-to-date", "integer"), P.column("Available", "integer"), P.ageColumn,
                  P.column("Containers", wide: true), P.column("Images", wide: true), P.column("Selector", wide: true)],
        row: { object, now in
            let status = object["status"] ?? [:]
            let (names, images) = P.containers(object["spec"]?["template"]?["spec"])
            return [P.name(object), .string("\(status["readyReplicas"]?.intValue ?? 0)/\(object["spec"]?["replicas"]?.intValue ?? 0)"),
                    P.int(status["updatedReplicas"]), P.int(status["availableReplicas"]), P.age(object, now), names, images,
                    P.selector(object["spec"]?["selector"])]
        })

    static let replicaSets = ColumnPrinter(
        columns: [P.nameColumn, P.column("Desired", "integer"), P.column("Current", "integer"), P.column("Ready", "integer"), P.ageColumn,
                  P.column("Containers", wide: true), P.column("Images", wide: true), P.column("Selector", wide: true)],
        row: { object, now in
            let status = object["status"] ?? [:]
            let (names, images) = P.containers(object["spec"]?["template"]?["spec"])
            return [P.name(object), P.int(object["spec"]?["replicas"]), P.int(status["replicas"]), P.int(status["readyReplicas"]),
                    P.age(object, now), names, images, P.selector(object["spec"]?["selector"])]
        })

    static let replicationControllers = replicaSets

    static let statefulSets = ColumnPrinter(
        columns: [P.nameColumn, P.column("Ready"), P.ageColumn, P.column("Containers", wide: true), P.column("Images", wide: true)],
        row: { object, now in
            let (names, images) = P.containers(object["spec"]?["template"]?["spec"])
            return [P.name(object), .string("\(object["status"]?["readyReplicas"]?.intValue ?? 0)/\(object["spec"]?["replicas"]?.intValue ?? 0)"),
                    P.age(object, now), names, images]
        })

    static let daemonSets = ColumnPrinter(
        columns: [P.nameColumn, P.column("Desired", "integer"), P.column("Current", "integer"), P.column("Ready", "integer"),
                  P.column("Up-to-date", "integer"), P.column("Available", "integer"), P.column("Node Selector"), P.ageColumn,
                  P.column("Containers", wide: true), P.column("Images", wide: true), P.column("Selector", wide: true)],
        row: { object, now in
            let status = object["status"] ?? [:]
            let (names, images) = P.containers(object["spec"]?["template"]?["spec"])
            let nodeSelector = (object["spec"]?["template"]?["spec"]?["nodeSelector"]?.objectValue ?? [:])
                .map { "\($0.key)=\($0.value.stringValue ?? "")" }.sorted()
            return [P.name(object), P.int(status["desiredNumberScheduled"]), P.int(status["currentNumberScheduled"]),
                    P.int(status["numberReady"]), P.int(status["updatedNumberScheduled"]), P.int(status["numberAvailable"]),
                    P.orNone(nodeSelector), P.age(object, now), names, images, P.selector(object["spec"]?["selector"])]
        })

    static let jobs = ColumnPrinter(
        columns: [P.nameColumn, P.column("Status"), P.column("Completions"), P.column("Duration"), P.ageColumn,
                  P.column("Containers", wide: true), P.column("Images", wide: true), P.column("Selector", wide: true)],
        row: { object, now in
            let status = object["status"] ?? [:]
            let spec = object["spec"] ?? [:]
            let succeeded = status["succeeded"]?.intValue ?? 0
            let completions: String
            if let wanted = spec["completions"]?.intValue {
                completions = "\(succeeded)/\(wanted)"
            } else {
                let parallelism = spec["parallelism"]?.intValue ?? 0
                completions = parallelism > 1 ? "\(succeeded)/1 of \(parallelism)" : "\(succeeded)/1"
            }
            var duration = ""
            if let start = status["startTime"]?.stringValue.flatMap(Age.parseTimestamp) {
                let end = status["completionTime"]?.stringValue.flatMap(Age.parseTimestamp) ?? now
                duration = Age.humanDuration(end.timeIntervalSince(start))
            }
            let (names, images) = P.containers(spec["template"]?["spec"])
            return [P.name(object), .string(jobStatus(object)), .string(completions), .string(duration), P.age(object, now), names, images,
                    P.selector(spec["selector"])]
        })

    static func jobStatus(_ job: JSONValue) -> String {
        let conditions = job["status"]?["conditions"]?.arrayValue ?? []
        func has(_ type: String) -> Bool { conditions.contains { $0["type"]?.stringValue == type && $0["status"]?.stringValue == "True" } }
        if has("Complete") { return "Complete" }
        if has("Failed") { return "Failed" }
        if job["metadata"]?["deletionTimestamp"] != nil { return "Terminating" }
        if has("SuccessCriteriaMet") { return "SuccessCriteriaMet" }
        if has("FailureTarget") { return "FailureTarget" }
        if job["spec"]?["suspend"]?.boolValue == true { return "Suspended" }
        return "Running"
    }

    static let cronJobs = ColumnPrinter(
        columns: [P.nameColumn, P.column("Schedule"), P.column("Timezone"), P.column("Suspend", "boolean"), P.column("Active", "integer"),
                  P.column("Last Schedule"), P.ageColumn, P.column("Containers", wide: true), P.column("Images", wide: true),
                  P.column("Selector", wide: true)],
        row: { object, now in
            let spec = object["spec"] ?? [:]
            let status = object["status"] ?? [:]
            let last = status["lastScheduleTime"]?.stringValue.map { Age.since($0, now: now) } ?? "<none>"
            let (names, images) = P.containers(spec["jobTemplate"]?["spec"]?["template"]?["spec"])
            return [P.name(object), .string(spec["schedule"]?.stringValue ?? ""), .string(nonEmpty(spec["timeZone"]?.stringValue)),
                    .bool(spec["suspend"]?.boolValue ?? false), .int(Int64(status["active"]?.arrayValue?.count ?? 0)), .string(last),
                    P.age(object, now), names, images, P.selector(spec["jobTemplate"]?["spec"]?["selector"])]
        })

    static let controllerRevisions = ColumnPrinter(
        columns: [P.nameColumn, P.column("Controller"), P.column("Revision", "integer"), P.ageColumn],
        row: { object, now in
            let owner = (object["metadata"]?["ownerReferences"]?.arrayValue ?? []).first { $0["controller"]?.boolValue == true }
            var controller = "<none>"
            if let owner, let kind = owner["kind"]?.stringValue, let name = owner["name"]?.stringValue {
                let group = owner["apiVersion"]?.stringValue?.split(separator: "/").dropLast().first.map(String.init) ?? ""
                controller = (group.isEmpty ? kind.lowercased() : "\(kind.lowercased()).\(group)") + "/" + name
            }
            return [P.name(object), .string(controller), P.int(object["revision"]), P.age(object, now)]
        })
}
