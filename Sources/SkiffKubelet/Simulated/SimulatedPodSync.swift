import Foundation
import SkiffAPI
import SkiffClient

extension SimulatedNodePool {
    /// Brings one pod on a simulated node to where its kubelet would: Running with every container
    /// started, or gone once its deletion was asked for (the grace period is the kubelet's to honour,
    /// and simulated containers stop at once).
    func sync(key: String, pods: Informer<JSONValue>, nodes nodeInformer: Informer<JSONValue>) async throws {
        guard let pod = pods.indexer.get(key: key),
              let nodeName = pod["spec"]?["nodeName"]?.stringValue, let spec = nodes[nodeName]
        else { return }
        // A silent node's kubelet is down: its pods wait for it.
        if Self.isSilenced(nodeInformer.indexer.get(key: nodeName)) { return }
        let namespace = pod.objectNamespace
        let name = pod.objectName
        let uid = pod["metadata"]?["uid"]?.stringValue ?? ""
        if pod["metadata"]?["deletionTimestamp"] != nil {
            do {
                _ = try await client.json(.DELETE, "/api/v1/namespaces/\(namespace)/pods/\(name)", body: [
                    "apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
                    "preconditions": ["uid": .string(uid)],
                ])
            } catch let error as APIError where error.code == 404 || error.code == 409 {}
            return
        }
        let phase = pod["status"]?["phase"]?.stringValue ?? ""
        if phase == "Running" || phase == "Succeeded" || phase == "Failed" { return }
        let status = runningStatus(pod, node: spec, now: Date())
        do {
            _ = try await client.json(.PATCH, "/api/v1/namespaces/\(namespace)/pods/\(name)/status",
                                      body: ["metadata": ["uid": .string(uid)], "status": status],
                                      contentType: "application/merge-patch+json")
        } catch let error as APIError where error.code == 404 {}
    }

    /// The status of a pod whose containers all started just now (init containers completed first).
    func runningStatus(_ pod: JSONValue, node: SimulatedNodeSpec, now: Date) -> JSONValue {
        let time = JSONValue.string(meta.v1.Time(now).rfc3339)
        let uid = pod["metadata"]?["uid"]?.stringValue ?? ""
        func containerStatus(_ container: JSONValue, running: Bool) -> JSONValue {
            let name = container["name"]?.stringValue ?? ""
            let image = container["image"]?.stringValue ?? ""
            let state: JSONValue = running
                ? ["running": ["startedAt": time]]
                : ["terminated": ["exitCode": 0, "reason": "Completed", "startedAt": time, "finishedAt": time,
                                  "containerID": .string("simulated://\(uid)/\(name)")]]
            return ["name": .string(name), "image": .string(image), "imageID": .string("simulated://\(image)"),
                    "containerID": .string("simulated://\(uid)/\(name)"), "ready": .bool(running), "started": .bool(running),
                    "restartCount": 0, "state": state]
        }
        let containers = pod["spec"]?["containers"]?.arrayValue ?? []
        let initContainers = pod["spec"]?["initContainers"]?.arrayValue ?? []
        func condition(_ type: String) -> JSONValue {
            ["type": .string(type), "status": "True", "lastProbeTime": nil, "lastTransitionTime": time]
        }
        var status: JSONObject = [
            "phase": "Running",
            "conditions": [condition("PodReadyToStartContainers"), condition("Initialized"), condition("Ready"),
                           condition("ContainersReady"), condition("PodScheduled")],
            "hostIP": .string(node.internalIP), "hostIPs": [["ip": .string(node.internalIP)]],
            "startTime": time, "qosClass": .string(Self.qosClass(containers)),
            "containerStatuses": .array(containers.map { containerStatus($0, running: true) }),
        ]
        if !initContainers.isEmpty {
            status["initContainerStatuses"] = .array(initContainers.map { containerStatus($0, running: false) })
        }
        if pod["spec"]?["hostNetwork"]?.boolValue == true {
            status["podIP"] = .string(node.internalIP)
            status["podIPs"] = [["ip": .string(node.internalIP)]]
        } else {
            let ip = nextPodIP(node)
            status["podIP"] = .string(ip)
            status["podIPs"] = [["ip": .string(ip)]]
        }
        return .object(status)
    }

    /// The next address of the node's pod range (10.244.<index>.2 … .254, then round again).
    func nextPodIP(_ node: SimulatedNodeSpec) -> String {
        let host = podIPs.withLock { counters -> Int in
            let next = (counters[node.name] ?? 0) % 253
            counters[node.name] = next + 1
            return next + 2
        }
        return "10.244.\(node.index % 256).\(host)"
    }

    /// Kubernetes' QoS class: Guaranteed when every container's requests equal its limits for CPU and
    /// memory, BestEffort when nothing is requested or limited, Burstable otherwise.
    static func qosClass(_ containers: [JSONValue]) -> String {
        var any = false
        var guaranteed = !containers.isEmpty
        for container in containers {
            let requests = container["resources"]?["requests"]?.objectValue ?? [:]
            let limits = container["resources"]?["limits"]?.objectValue ?? [:]
            if !requests.isEmpty || !limits.isEmpty { any = true }
            for resource in ["cpu", "memory"] {
                guard let limit = limits[resource] else { guaranteed = false; continue }
                if let request = requests[resource], request != limit { guaranteed = false }
            }
        }
        if !any { return "BestEffort" }
        return guaranteed ? "Guaranteed" : "Burstable"
    }
}
