import Foundation
import Logging
import SkiffAPI
import Testing

@testable import SkiffKubelet

/// Where reading and writing typed pods could change what the kubelet did with JSON: the status written
/// (nulls and empty objects included), defaults of absent fields, and pods found finished.
@Suite struct TypedPodTests {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    func machine(inits: [String] = [], _ containers: [String] = ["c"]) -> PodMachine {
        PodMachine(podDescription: "p_default(u1)", initContainers: inits, containers: containers, restartPolicy: .always)
    }

    @Test func theStatusWrittenIsTheKubeletsToTheNull() {
        var m = machine()
        _ = m.step(now: t0)
        m.started("c", containerID: "x", at: t0, image: "busybox", imageID: "sha256:1")
        let status = m.status(now: t0, hostIP: "10.0.0.1", startTime: t0, previous: nil, qosClass: "BestEffort")
        let time = JSONValue.string(meta.v1.Time(t0).rfc3339)
        func condition(_ type: String) -> JSONValue {
            ["type": .string(type), "status": "True", "lastProbeTime": nil, "lastTransitionTime": time]
        }
        // A zero time is null and a zero container state `{}`, as the kubelet writes them.
        let expected: JSONValue = [
            "phase": "Running",
            "conditions": [condition("PodReadyToStartContainers"), condition("Initialized"), condition("Ready"),
                           condition("ContainersReady"), condition("PodScheduled")],
            "hostIP": "10.0.0.1", "hostIPs": [["ip": "10.0.0.1"]], "podIP": "10.0.0.1", "podIPs": [["ip": "10.0.0.1"]],
            "startTime": time, "qosClass": "BestEffort",
            "containerStatuses": [[
                "name": "c", "image": "busybox", "imageID": "sha256:1", "restartCount": 0, "containerID": "x",
                "state": ["running": ["startedAt": time]], "lastState": [:], "ready": true, "started": true,
            ]],
        ]
        #expect(status.json == expected)
    }

    @Test func aFailingConditionHasItsReasonAndMessageAndTerminationsTheirTimes() {
        var m = PodMachine(podDescription: "p_default(u1)", initContainers: ["i"], containers: ["c"], restartPolicy: .never)
        _ = m.step(now: t0)
        m.started("i", containerID: "x", at: t0, image: "busybox", imageID: "id")
        m.exited(containerID: "x", exitCode: 2, at: t0)
        _ = m.step(now: t0)
        let json = m.status(now: t0, hostIP: "h", startTime: t0, previous: nil).json
        let time = JSONValue.string(meta.v1.Time(t0).rfc3339)
        #expect(json["conditions"]?[1] == ["type": "Initialized", "status": "False", "lastProbeTime": nil,
                                           "lastTransitionTime": time, "reason": "ContainersNotInitialized",
                                           "message": "containers with incomplete status: [i]"])
        #expect(json["conditions"]?[2]?["reason"] == "PodCompleted")
        #expect(json["conditions"]?[2]?["message"] == nil, "no message once the pod is done")
        #expect(json["initContainerStatuses"]?[0]?["state"] == ["terminated": [
            "exitCode": 2, "reason": "Error", "startedAt": time, "finishedAt": time, "containerID": "x",
        ]])
        #expect(json["containerStatuses"]?[0]?["state"] == ["waiting": ["reason": "PodInitializing"]])
        #expect(json["qosClass"] == nil, "none given, none stored")
    }

    @Test func anUnchangedStatusEqualsTheOneWrittenSoItIsNotWrittenAgain() throws {
        var m = machine()
        _ = m.step(now: t0)
        m.started("c", containerID: "x", at: t0, image: "busybox", imageID: "id")
        let written = m.status(now: t0, hostIP: "h", startTime: t0, previous: nil, qosClass: "BestEffort")
        let later = m.status(now: t0.addingTimeInterval(60), hostIP: "h", startTime: t0.addingTimeInterval(60),
                             previous: written, qosClass: "Burstable")
        #expect(later == written, "transition times, start time and QoS class are kept from what was written")
        // What the API server stored (times as it wrote them) is kept to the letter.
        let stored = try core.v1.PodStatus(json: ["startTime": "2023-11-14T22:13:20.000Z", "qosClass": "Guaranteed",
                                                  "conditions": [["type": "PodScheduled", "status": "True",
                                                                  "lastTransitionTime": "2023-11-14T22:13:20.000Z"]]])
        let first = m.status(now: t0, hostIP: "h", startTime: t0, previous: stored, qosClass: "BestEffort").json
        #expect(first["startTime"] == "2023-11-14T22:13:20.000Z")
        #expect(first["qosClass"] == "Guaranteed")
        #expect(first["conditions"]?[4]?["lastTransitionTime"] == "2023-11-14T22:13:20.000Z")
    }

    @Test func absentFieldsTakeTheAPIsDefaultsAndZeroStaysZero() throws {
        let plain = try core.v1.Pod(json: ["spec": ["containers": [["name": "c"]]]])
        #expect(plain.terminationGracePeriod == 30)
        let immediate = try core.v1.Pod(json: ["spec": ["containers": [["name": "c"]], "terminationGracePeriodSeconds": 0]])
        #expect(immediate.terminationGracePeriod == 0)
        let sidecar = try core.v1.Container(json: ["name": "s", "restartPolicy": "Always"])
        #expect(sidecar.isSidecar && !core.v1.Container(name: "c").isSidecar)
        let config = PodWorkers.sandboxConfig(uid: "u", pod: try core.v1.Pod(json: [
            "metadata": ["name": .string(String(repeating: "p", count: 70)), "namespace": "ns"],
            "spec": ["containers": [], "hostNetwork": true],
        ]))
        #expect(config.hostname == String(repeating: "p", count: 63))
        #expect(config.hostNetwork && !config.shareProcessNamespace)
    }

    @Test func podWorkersDefaultTheRestartPolicyAndTheGracePeriod() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-typed-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let runtime = ProcessRuntime(dataDirectory: directory)
        let workers = PodWorkers(runtime: runtime, images: nil, hostIP: "127.0.0.1", logger: Logger(label: "test"), notify: { _ in })
        // A pod finished before the kubelet started: nothing runs, its stored status counts as written.
        let done = try core.v1.Pod(json: [
            "metadata": ["name": "done", "namespace": "default", "uid": "u-done"],
            "spec": ["containers": [["name": "c", "image": "busybox"]]],
            "status": ["phase": "Succeeded"],
        ])
        await workers.update(done)
        #expect(await workers.workers["u-done"]?.machine.restartPolicy == .always, "restartPolicy defaults to Always")
        #expect(await workers.workers["u-done"]?.dormant == true)
        #expect(await workers.workers["u-done"]?.written == done.status)
        #expect(await workers.pendingWrite("u-done") == nil)
        // Its deletion is finished at once.
        var deleted = done
        deleted.metadata?.deletionTimestamp = meta.v1.Time(Date())
        await workers.update(deleted)
        #expect(await workers.pendingWrite("u-done")?.delete == true)

        // A pod deleted without a grace period of its own gets the spec's, 30 s by default.
        let before = Date()
        let deleting = try core.v1.Pod(json: [
            "metadata": ["name": "going", "namespace": "default", "uid": "u-going",
                         "deletionTimestamp": .string(meta.v1.Time(before).rfc3339)],
            "spec": ["containers": [["name": "c", "image": "busybox"]], "restartPolicy": "OnFailure"],
        ])
        await workers.update(deleting)
        #expect(await workers.workers["u-going"]?.machine.restartPolicy == .onFailure)
        let deadline = try #require(await workers.workers["u-going"]?.machine.killDeadline)
        #expect(deadline.timeIntervalSince(before) >= 30 && deadline.timeIntervalSince(before) < 40)
        await workers.cancelTimers()
        await runtime.shutdown(grace: .seconds(1))
    }

    @Test func volumeItemsWithoutAPathAreWrittenUnderTheirKey() async throws {
        let source = PodConfigSource(configMap: { _, _ in core.v1.ConfigMap(binaryData: ["b": "AQI="], data: ["a": "1"]) },
                                     secret: { _, _ in core.v1.Secret(data: ["s": "eA=="], stringData: ["s": "lost", "t": "y"]) })
        let objects = PodConfigObjects(source: source, namespace: "ns")
        let volume = try core.v1.ConfigMapVolumeSource(json: ["name": "cfg", "items": [["key": "a"], ["key": "b", "path": "x/b"]]])
        let files = try await VolumeProjection.objectFiles(
            .configMap, source: .init(name: volume.name, optional: volume.optional, items: volume.items), volume: "v",
            objects: objects, defaultMode: 0o644)
        #expect(files == ["a": .init(data: Data("1".utf8), mode: 0o644), "x/b": .init(data: Data([1, 2]), mode: 0o644)])
        // A Secret's data wins over its stringData; env reads no binaryData.
        #expect(try await objects.entries(.secret, "s") == ["s": Data("x".utf8), "t": Data("y".utf8)])
        #expect(try await objects.entries(.configMap, "cfg", includeBinary: false) == ["a": Data("1".utf8)])
    }

    @Test func theErrorStreamsStatusIsUpstreamsWithoutKind() {
        #expect(StreamStatus.success.json == ["metadata": [:], "status": "Success"])
        #expect(StreamStatus.exitCode(3, command: ["sh", "-c", "exit 3"]).json == [
            "metadata": [:], "status": "Failure",
            "message": "command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3",
            "reason": "NonZeroExitCode", "details": ["causes": [["reason": "ExitCode", "message": "3"]]],
        ])
        #expect(StreamStatus.internalError("boom").json == [
            "metadata": [:], "status": "Failure", "message": "Internal error occurred: boom",
            "reason": "InternalError", "details": ["causes": [["message": "boom"]]], "code": 500,
        ])
    }

    @Test func simulatedQoSComparesQuantities() throws {
        func containers(_ json: JSONValue) throws -> [core.v1.Container] { try [core.v1.Container](json: json) }
        #expect(SimulatedNodePool.qosClass(try containers([["name": "a", "resources": [
            "limits": ["cpu": "1", "memory": "1Gi"], "requests": ["cpu": "1", "memory": "1Gi"]]]])) == "Guaranteed")
        #expect(SimulatedNodePool.qosClass(try containers([["name": "a", "resources": [
            "limits": ["cpu": "1", "memory": "1Gi"], "requests": ["cpu": "500m"]]]])) == "Burstable")
        #expect(SimulatedNodePool.qosClass(try containers([["name": "a"]])) == "BestEffort")
    }

    @Test func theNodeObjectIsTheOneRegisteredBefore() {
        var spec = SimulatedNodeSpec(name: "sim-3", index: 3)
        spec.labels = ["zone": "a", "kubernetes.io/os": "other"]
        let time = JSONValue.string(meta.v1.Time(t0).rfc3339)
        func condition(_ type: String, _ status: String, _ reason: String, _ message: String) -> JSONValue {
            ["type": .string(type), "status": .string(status), "lastHeartbeatTime": time, "lastTransitionTime": time,
             "reason": .string(reason), "message": .string(message)]
        }
        let resources: JSONValue = ["cpu": "32", "memory": "256Gi", "pods": "110", "ephemeral-storage": "100Gi"]
        let expected: JSONValue = [
            "apiVersion": "v1", "kind": "Node",
            "metadata": ["name": "sim-3", "labels": [
                "kubernetes.io/hostname": "sim-3", "kubernetes.io/os": "other", "kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64", "node.skiff.dev/runtime": "simulated",
                "zone": "a",
            ]],
            "spec": ["podCIDR": "10.244.3.0/24", "podCIDRs": ["10.244.3.0/24"]],
            "status": [
                "capacity": resources, "allocatable": resources,
                "conditions": [
                    condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                    condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                    condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                    condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
                ],
                "addresses": [["type": "InternalIP", "address": "10.0.0.5"], ["type": "Hostname", "address": "sim-3"]],
                "daemonEndpoints": ["kubeletEndpoint": ["Port": 10250]],
                "nodeInfo": [
                    "machineID": "sim-3", "systemUUID": "sim-3", "bootID": "sim-3", "kernelVersion": "simulated",
                    "osImage": "Skiff simulated node", "containerRuntimeVersion": "simulated://0.1.0",
                    "kubeletVersion": "v1.32.1+skiff", "kubeProxyVersion": "v1.32.1+skiff", "operatingSystem": "linux",
                    "architecture": "amd64",
                ],
            ],
        ]
        #expect(spec.nodeObject(now: t0).json == expected)
        let notReady = NodeRegistration.conditions(now: t0, ready: false, enforcesLimits: false)
        #expect(notReady.map(\.type) == ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready", "LimitsEnforced"])
        #expect(notReady[3].json == condition("Ready", "False", "KubeletNotReady", "kubelet is not ready"))
    }
}
