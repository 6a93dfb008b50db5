import Foundation
import SkiffAPI
import SkiffClient

extension SimulatedNodePool {
    /// Brings one pod on a simulated node to where its kubelet would: Running with every container
    /// started, or gone once its deletion was asked for (the grace period is the kubelet's to honour,
    /// and simulated containers stop at once).
    func sync(key: String, pods: Informer<core.v1.Pod>, nodes nodeInformer: Informer<core.v1.Node>) async throws {
        guard let pod = pods.indexer.get(key: key), let nodeName = pod.spec?.nodeName, let spec = nodes[nodeName]
        else { return }
        // A silent node's kubelet is down: its pods wait for it.
        if Self.isSilenced(nodeInformer.indexer.get(key: nodeName)) { return }
        let api = client.pods(pod.objectNamespace)
        let name = pod.objectName
        let uid = pod.uid
        if pod.isBeingDeleted {
            do {
                try await api.delete(name, options: meta.v1.DeleteOptions(gracePeriodSeconds: 0,
                                                                          preconditions: meta.v1.Preconditions(uid: uid)))
            } catch let error as APIError where error.code == 404 || error.code == 409 {}
            return
        }
        let phase = pod.phase
        if phase == "Running" || phase == "Succeeded" || phase == "Failed" { return }
        let status = runningStatus(pod, node: spec, now: Date())
        do {
            _ = try await api.patch(name, .merge(["metadata": ["uid": .string(uid)], "status": status.json]), subresource: "status")
        } catch let error as APIError where error.code == 404 {}
    }

    /// The status of a pod whose containers all started just now (init containers completed first).
    func runningStatus(_ pod: core.v1.Pod, node: SimulatedNodeSpec, now: Date) -> core.v1.PodStatus {
        let time = meta.v1.Time(now)
        let uid = pod.uid
        func containerStatus(_ container: core.v1.Container, running: Bool) -> core.v1.ContainerStatus {
            let name = container.name
            let image = container.image ?? ""
            let id = "simulated://\(uid)/\(name)"
            let state = running
                ? core.v1.ContainerState(running: core.v1.ContainerStateRunning(startedAt: time))
                : core.v1.ContainerState(terminated: core.v1.ContainerStateTerminated(
                    containerID: id, exitCode: 0, finishedAt: time, reason: "Completed", startedAt: time))
            return core.v1.ContainerStatus(containerID: id, image: image, imageID: "simulated://\(image)", name: name,
                                           ready: running, restartCount: 0, started: running, state: state)
        }
        let containers = pod.containers
        let initContainers = pod.initContainers
        func condition(_ type: String) -> core.v1.PodCondition {
            // `lastProbeTime` is written as null, as the kubelet's.
            core.v1.PodCondition(lastProbeTime: meta.v1.Time(rfc3339: ""), lastTransitionTime: time, status: "True", type: type)
        }
        // Host-network pods share the node's address.
        let ip = pod.spec?.hostNetwork == true ? node.internalIP : nextPodIP(node)
        return core.v1.PodStatus(
            conditions: [condition("PodReadyToStartContainers"), condition("Initialized"), condition("Ready"),
                         condition("ContainersReady"), condition("PodScheduled")],
            containerStatuses: containers.map { containerStatus($0, running: true) },
            hostIP: node.internalIP, hostIPs: [core.v1.HostIP(ip: node.internalIP)],
            initContainerStatuses: initContainers.isEmpty ? nil : initContainers.map { containerStatus($0, running: false) },
            phase: "Running",
            podIP: ip, podIPs: [core.v1.PodIP(ip: ip)],
            qosClass: Self.qosClass(containers),
            startTime: time)
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
    static func qosClass(_ containers: [core.v1.Container]) -> String {
        var any = false
        var guaranteed = !containers.isEmpty
        for container in containers {
            let requests = container.resources?.requests ?? [:]
            let limits = container.resources?.limits ?? [:]
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
