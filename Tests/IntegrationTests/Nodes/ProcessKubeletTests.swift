import Foundation
import Logging
import SkiffAPI
import SkiffClient
import SkiffImages
import SkiffKubelet
import SkiffTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The kubelet with the `process` runtime against the real API server: real host processes from a busybox
/// image imported into the node's image store.
@Suite(.serialized) struct ProcessKubeletTests {
    /// A data directory whose image store holds `busybox:latest` (a one-layer rootfs of /usr/bin/busybox).
    static func dataDirectoryWithBusybox() throws -> URL {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-kubelet-\(UUID().uuidString.prefix(8))")
        let rootfs = base.appendingPathComponent("rootfs/bin")
        try FileManager.default.createDirectory(at: rootfs, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/usr/bin/busybox", toPath: rootfs.appendingPathComponent("busybox").path)
        try FileManager.default.createSymbolicLink(atPath: rootfs.appendingPathComponent("sh").path, withDestinationPath: "busybox")
        let data = base.appendingPathComponent("data")
        let store = try ImageStore(dataDirectory: data)
        var options = ImportOptions(tag: try ImageReference(parsing: "busybox"))
        options.cmd = ["sh"]
        _ = try store.importImage(from: base.appendingPathComponent("rootfs"), options: options)
        return data
    }

    struct Harness {
        let server: TestAPIServer
        let client: RESTClient
        let data: URL
        let task: Task<Void, any Error>

        func pod(_ name: String) async throws -> JSONValue {
            try await client.json(.GET, "/api/v1/namespaces/default/pods/\(name)")
        }

        func create(_ name: String, containers: [JSONValue], initContainers: [JSONValue] = [], restartPolicy: String = "Always")
            async throws
        {
            var spec: JSONObject = ["nodeName": "proc-node", "restartPolicy": .string(restartPolicy),
                                    "containers": .array(containers), "terminationGracePeriodSeconds": 5]
            if !initContainers.isEmpty { spec["initContainers"] = .array(initContainers) }
            _ = try await client.json(.POST, "/api/v1/namespaces/default/pods",
                                      body: ["metadata": ["name": .string(name)], "spec": .object(spec)])
        }

        func status(_ name: String, container: Int = 0) async throws -> JSONValue? {
            try await pod(name)["status"]?["containerStatuses"]?[container]
        }

        func stop() async {
            task.cancel()
            _ = try? await task.value
            try? await client.shutdown()
            await server.stop()
            try? FileManager.default.removeItem(at: data.deletingLastPathComponent())
        }
    }

    static func container(_ name: String, _ script: String, image: String = "busybox") -> JSONValue {
        ["name": .string(name), "image": .string(image), "command": ["sh", "-c", .string(script)], "imagePullPolicy": "Never"]
    }

    func start() async throws -> Harness {
        let data = try Self.dataDirectoryWithBusybox()
        let server = try await TestAPIServer()
        let client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: server.kubeconfig.path))
        var configuration = Kubelet.Configuration(nodeName: "proc-node", dataDirectory: data)
        configuration.heartbeatInterval = .seconds(1)
        configuration.syncRetry = .seconds(1)
        configuration.syncFrequency = .seconds(1)
        let kubelet = Kubelet(client: client, configuration: configuration, runtime: ProcessRuntime(dataDirectory: data),
                              logger: Logger(label: "test.kubelet"))
        let task = Task { try await kubelet.run() }
        let registered = await waitUntil {
            let node = try await client.json(.GET, "/api/v1/nodes/proc-node")
            return node["status"]?["nodeInfo"]?["containerRuntimeVersion"] == "process://0.1.0"
        }
        #expect(registered)
        return Harness(server: server, client: client, data: data, task: task)
    }

    @Test func aPodRunsAsAHostProcessWithStatusesAndALog() async throws {
        let h = try await start()
        let node = try await h.client.json(.GET, "/api/v1/nodes/proc-node")
        #expect(node["status"]?["capacity"]?["pods"] == "110")
        #expect(node["status"]?["capacity"]?["cpu"] == .string(String(ProcessInfo.processInfo.activeProcessorCount)))
        // The Lease follows the Node's registration (on a loaded machine, a moment later).
        #expect(await waitUntil {
            let lease = try await h.client.json(.GET, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/proc-node")
            return lease["spec"]?["holderIdentity"] == "proc-node"
        })

        try await h.create("web", containers: [[
            "name": "c", "image": "busybox", "command": ["sh", "-c"], "args": ["echo hi $GREETING; sleep 3600"],
            "env": [["name": "GREETING", "value": "there"]],
        ]])
        let running = await waitUntil { try await h.pod("web")["status"]?["phase"] == "Running" }
        #expect(running)
        let pod = try await h.pod("web")
        let uid = pod["metadata"]?["uid"]?.stringValue ?? ""
        let status = pod["status"]
        let c = status?["containerStatuses"]?[0]
        #expect(c?["ready"] == true)
        #expect(c?["started"] == true)
        #expect(c?["restartCount"] == 0)
        #expect(c?["image"] == "busybox")
        #expect(c?["imageID"]?.stringValue?.hasPrefix("docker.io/library/busybox@sha256:") == true)
        #expect(c?["state"]?["running"]?["startedAt"] != nil)
        let containerID = c?["containerID"]?.stringValue ?? ""
        #expect(containerID.hasPrefix("process://"))
        let conditions = Dictionary(uniqueKeysWithValues: (status?["conditions"]?.arrayValue ?? []).map {
            ($0["type"]?.stringValue ?? "", $0["status"]?.stringValue ?? "")
        })
        for type in ["PodScheduled", "Initialized", "ContainersReady", "Ready"] { #expect(conditions[type] == "True", "\(type)") }
        #expect(status?["podIP"] == status?["hostIP"])
        let log = h.data.appendingPathComponent("pods/\(uid)/c/0.log")
        // CRI format: `<RFC 3339 time with nanoseconds> stdout F <line>`.
        let logged = await waitUntil {
            let lines = (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n") ?? []
            return lines.contains {
                String($0).range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F hi there$"#,
                                 options: .regularExpression) != nil
            }
        }
        #expect(logged)
        // Deleting SIGTERMs the process group; the pod then disappears and nothing of it is left running.
        let pid = Int32(containerID.dropFirst("process://".count)) ?? 0
        #expect(pid > 0 && kill(-pid, 0) == 0)
        _ = try await h.client.json(.DELETE, "/api/v1/namespaces/default/pods/web")
        let gone = await waitUntil(timeout: .seconds(20)) {
            do { _ = try await h.pod("web"); return false } catch let error as APIError { return error.code == 404 }
        }
        #expect(gone)
        #expect(kill(-pid, 0) == -1 && errno == ESRCH, "the process group is gone")
        // The directory goes when the kubelet's informer saw the deletion it wrote, a moment after the 404.
        let directory = h.data.appendingPathComponent("pods/\(uid)").path
        #expect(await waitUntil(timeout: .seconds(5)) { !FileManager.default.fileExists(atPath: directory) })
        await h.stop()
    }

    @Test func restartPolicyNeverEndsSucceededOrFailedWithTheExitCode() async throws {
        let h = try await start()
        try await h.create("ok", containers: [Self.container("c", "exit 0")], restartPolicy: "Never")
        try await h.create("bad", containers: [Self.container("c", "exit 3")], restartPolicy: "Never")
        #expect(await waitUntil { try await h.pod("ok")["status"]?["phase"] == "Succeeded" })
        #expect(await waitUntil { try await h.pod("bad")["status"]?["phase"] == "Failed" })
        let ok = try await h.status("ok")?["state"]?["terminated"]
        #expect(ok?["reason"] == "Completed")
        #expect(ok?["exitCode"] == 0)
        #expect(ok?["finishedAt"] != nil && ok?["startedAt"] != nil)
        let bad = try await h.status("bad")?["state"]?["terminated"]
        #expect(bad?["reason"] == "Error")
        #expect(bad?["exitCode"] == 3)
        await h.stop()
    }

    @Test func aCrashingContainerIsRestartedAndBacksOff() async throws {
        let h = try await start()
        try await h.create("crash", containers: [Self.container("c", "echo boom; exit 1")])
        let backingOff = await waitUntil {
            let c = try await h.status("crash")
            return c?["state"]?["waiting"]?["reason"] == "CrashLoopBackOff" && (c?["restartCount"]?.intValue ?? 0) >= 1
        }
        #expect(backingOff)
        let c = try await h.status("crash")
        #expect(c?["lastState"]?["terminated"]?["exitCode"] == 1)
        #expect(c?["state"]?["waiting"]?["message"]?.stringValue?.hasPrefix("back-off 10s restarting failed container=c pod=crash_default(") == true)
        #expect(try await h.pod("crash")["status"]?["phase"] == "Running")
        _ = try await h.client.json(.DELETE, "/api/v1/namespaces/default/pods/crash")
        #expect(await waitUntil { do { _ = try await h.pod("crash"); return false } catch { return true } })
        await h.stop()
    }

    @Test func initContainersRunFirstInOrder() async throws {
        let h = try await start()
        try await h.create("inits", containers: [Self.container("app", "cat order; sleep 3600")],
                           initContainers: [Self.container("one", "echo one >> order"), Self.container("two", "echo two >> order")])
        #expect(await waitUntil { try await h.pod("inits")["status"]?["phase"] == "Running" })
        let pod = try await h.pod("inits")
        let uid = pod["metadata"]?["uid"]?.stringValue ?? ""
        let order = try String(contentsOf: h.data.appendingPathComponent("pods/\(uid)/order"), encoding: .utf8)
        #expect(order == "one\ntwo\n")
        let inits = pod["status"]?["initContainerStatuses"]?.arrayValue ?? []
        #expect(inits.map { $0["state"]?["terminated"]?["reason"] } == ["Completed", "Completed"])
        _ = try await h.client.json(.DELETE, "/api/v1/namespaces/default/pods/inits")
        #expect(await waitUntil { do { _ = try await h.pod("inits"); return false } catch { return true } })
        await h.stop()
    }

    /// A native sidecar (an init container with `restartPolicy: Always`) runs beside the app, which starts
    /// once it runs; when the app of a Never pod completes, the sidecar is stopped and the pod Succeeds.
    @Test func aNativeSidecarRunsBesideTheAppAndStopsAfterIt() async throws {
        let h = try await start()
        var sidecar = Self.container("proxy", "echo proxy >> order; sleep 3600")
        sidecar["restartPolicy"] = "Always"
        try await h.create("sidecar", containers: [Self.container("app", "echo app >> order; sleep 1")],
                           initContainers: [sidecar, Self.container("setup", "echo setup >> order")], restartPolicy: "Never")
        let succeeded = await waitUntil(timeout: .seconds(30)) { try await h.pod("sidecar")["status"]?["phase"] == "Succeeded" }
        let seen = try await h.pod("sidecar")["status"] ?? [:]
        #expect(succeeded, "\(seen)")
        let pod = try await h.pod("sidecar")
        let uid = pod["metadata"]?["uid"]?.stringValue ?? ""
        let order = try String(contentsOf: h.data.appendingPathComponent("pods/\(uid)/order"), encoding: .utf8)
        #expect(order == "proxy\nsetup\napp\n")
        #expect(await waitUntil { try await h.pod("sidecar")["status"]?["initContainerStatuses"]?[0]?["state"]?["terminated"] != nil },
                "the sidecar was stopped after the app")
        await h.stop()
    }

    @Test func aMissingImageWaitsWithUpstreamsReasonAndMessage() async throws {
        let h = try await start()
        try await h.create("never", containers: [Self.container("c", "true", image: "nothere:1.0")])
        try await h.create("pull", containers: [[
            "name": "c", "image": "nothere:2.0", "command": ["true"], "imagePullPolicy": "IfNotPresent",
        ]])
        #expect(await waitUntil { try await h.status("never")?["state"]?["waiting"]?["reason"] == "ErrImageNeverPull" })
        #expect(try await h.status("never")?["state"]?["waiting"]?["message"]
            == "Container image \"nothere:1.0\" is not present with pull policy of Never")
        #expect(await waitUntil { try await h.status("pull")?["state"]?["waiting"]?["reason"] == "ErrImagePull" })
        #expect(try await h.pod("pull")["status"]?["phase"] == "Pending")
        await h.stop()
    }
}
