import Foundation
import SkiffAPI
import SkiffClient
import SkiffTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Env from ConfigMaps, Secrets and the downward API, and volumes (configMap, secret, emptyDir, hostPath),
/// with the kubelet and the `process` runtime against the real API server. Mounts cannot be applied to host
/// processes: the prepared files are checked on the host, and the process reads them under its pod directory.
@Suite(.serialized) struct KubeletPodConfigTests {
    typealias Harness = ProcessKubeletTests.Harness

    static func createPod(_ h: Harness, _ name: String, _ spec: JSONObject) async throws {
        var spec = spec
        spec["nodeName"] = "proc-node"
        if spec["terminationGracePeriodSeconds"] == nil { spec["terminationGracePeriodSeconds"] = 2 }
        _ = try await h.client.json(.POST, "/api/v1/namespaces/default/pods",
                                    body: ["metadata": ["name": .string(name), "labels": ["app": "demo"]], "spec": .object(spec)])
    }

    static func create(_ h: Harness, _ resource: String, _ name: String, data: JSONValue) async throws {
        _ = try await h.client.json(.POST, "/api/v1/namespaces/default/\(resource)",
                                    body: ["metadata": ["name": .string(name)], "data": data])
    }

    static func log(_ h: Harness, _ pod: String, container: String = "c") async throws -> String {
        let uid = try await h.pod(pod)["metadata"]?["uid"]?.stringValue ?? ""
        return (try? String(contentsOf: h.data.appendingPathComponent("pods/\(uid)/\(container)/0.log"), encoding: .utf8)) ?? ""
    }

    static func messages(_ h: Harness, pod: String, reason: String) async throws -> [String] {
        let list = try await h.client.json(.GET, "/api/v1/namespaces/default/events")
        return (list["items"]?.arrayValue ?? [])
            .filter { $0["involvedObject"]?["name"]?.stringValue == pod && $0["reason"]?.stringValue == reason }
            .compactMap { $0["message"]?.stringValue }
    }

    @Test func envComesFromConfigMapsSecretsAndTheDownwardAPI() async throws {
        let h = try await ProcessKubeletTests().start()
        try await Self.create(h, "configmaps", "app-cfg", data: ["greeting": "hi", "color": "blue"])
        try await Self.create(h, "secrets", "app-sec", data: ["token": .string(Data("s3cr3t".utf8).base64EncodedString())])
        var c = ProcessKubeletTests.container("c", "echo \"$GREETING|$TOKEN|$POD_NAME|$NS|$APP|$CFG_color|$MEM|$MSG\"; sleep 3600")
        c = c.setting("env", [
            ["name": "GREETING", "valueFrom": ["configMapKeyRef": ["name": "app-cfg", "key": "greeting"]]],
            ["name": "TOKEN", "valueFrom": ["secretKeyRef": ["name": "app-sec", "key": "token"]]],
            ["name": "POD_NAME", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]],
            ["name": "NS", "valueFrom": ["fieldRef": ["fieldPath": "metadata.namespace"]]],
            ["name": "APP", "valueFrom": ["fieldRef": ["fieldPath": "metadata.labels['app']"]]],
            ["name": "MEM", "valueFrom": ["resourceFieldRef": ["resource": "limits.memory", "divisor": "1Mi"]]],
            ["name": "MSG", "value": "$(GREETING) from $(POD_NAME)"],
        ]).setting("envFrom", [["configMapRef": ["name": "app-cfg"], "prefix": "CFG_"]])
            .setting("resources", ["limits": ["memory": "64Mi"]])
        try await Self.createPod(h, "envs", ["containers": [c]])
        #expect(await waitUntil { try await Self.log(h, "envs").contains("|") })
        #expect(try await Self.log(h, "envs").contains("hi|s3cr3t|envs|default|demo|blue|64|hi from envs"))
        #expect(try await h.pod("envs")["status"]?["qosClass"] == "Burstable")
        await h.stop()
    }

    @Test func aMissingConfigMapIsCreateContainerConfigErrorUntilItAppears() async throws {
        let h = try await ProcessKubeletTests().start()
        let c = ProcessKubeletTests.container("c", "echo \"$GREETING\"; sleep 3600").setting("env", [
            ["name": "GREETING", "valueFrom": ["configMapKeyRef": ["name": "late-cfg", "key": "greeting"]]],
        ])
        try await Self.createPod(h, "late", ["containers": [c]])
        #expect(await waitUntil { try await h.status("late")?["state"]?["waiting"]?["reason"] == "CreateContainerConfigError" })
        #expect(try await h.status("late")?["state"]?["waiting"]?["message"] == "configmap \"late-cfg\" not found")
        #expect(try await h.pod("late")["status"]?["phase"] == "Pending")
        #expect(await waitUntil { try await Self.messages(h, pod: "late", reason: "Failed").contains("Error: configmap \"late-cfg\" not found") })
        // The object exists but not the key.
        try await Self.create(h, "configmaps", "late-cfg", data: ["other": "x"])
        #expect(await waitUntil {
            try await h.status("late")?["state"]?["waiting"]?["message"] == "couldn't find key greeting in ConfigMap default/late-cfg"
        })
        _ = try await h.client.json(.PUT, "/api/v1/namespaces/default/configmaps/late-cfg",
                                    body: ["metadata": ["name": "late-cfg"], "data": ["greeting": "finally"]])
        #expect(await waitUntil { try await h.pod("late")["status"]?["phase"] == "Running" })
        #expect(await waitUntil { try await Self.log(h, "late").contains("finally") })
        await h.stop()
    }

    @Test func configMapSecretAndEmptyDirVolumesArePreparedOnTheHost() async throws {
        let h = try await ProcessKubeletTests().start()
        try await Self.create(h, "configmaps", "files", data: ["app.conf": "port=80\n", "extra": "e"])
        try await Self.create(h, "secrets", "creds", data: ["token": .string(Data("s3cr3t".utf8).base64EncodedString())])
        let c = ProcessKubeletTests.container("c", "cat volumes/kubernetes.io~secret/sec/token; echo; sleep 3600").setting("volumeMounts", [
            ["name": "cfg", "mountPath": "/etc/app"], ["name": "sec", "mountPath": "/etc/sec"],
            ["name": "scratch", "mountPath": "/scratch", "subPath": "work"],
        ])
        try await Self.createPod(h, "vols", ["containers": [c], "volumes": [
            ["name": "cfg", "configMap": ["name": "files", "items": [["key": "app.conf", "path": "conf/app.conf", "mode": 0o600]]]],
            ["name": "sec", "secret": ["secretName": "creds", "defaultMode": 0o400]],
            ["name": "scratch", "emptyDir": [:]],
            ["name": "mem", "emptyDir": ["medium": "Memory", "sizeLimit": "4Mi"]],
            ["name": "info", "downwardAPI": ["items": [["path": "labels", "fieldRef": ["fieldPath": "metadata.labels"]]]]],
        ]])
        #expect(await waitUntil { try await h.pod("vols")["status"]?["phase"] == "Running" })
        let uid = try await h.pod("vols")["metadata"]?["uid"]?.stringValue ?? ""
        let volumes = h.data.appendingPathComponent("pods/\(uid)/volumes")
        let fm = FileManager.default
        let conf = volumes.appendingPathComponent("kubernetes.io~configmap/cfg/conf/app.conf")
        #expect(try String(contentsOf: conf, encoding: .utf8) == "port=80\n")
        #expect(!fm.fileExists(atPath: volumes.appendingPathComponent("kubernetes.io~configmap/cfg/extra").path), "items only")
        #expect(try fm.destinationOfSymbolicLink(atPath: volumes.appendingPathComponent("kubernetes.io~configmap/cfg/conf").path)
            == "..data/conf")
        #expect(try fm.attributesOfItem(atPath: conf.resolvingSymlinksInPath().path)[.posixPermissions] as? Int == 0o600)
        let token = volumes.appendingPathComponent("kubernetes.io~secret/sec/token")
        #expect(try String(contentsOf: token, encoding: .utf8) == "s3cr3t")
        #expect(try fm.attributesOfItem(atPath: token.resolvingSymlinksInPath().path)[.posixPermissions] as? Int == 0o400)
        #expect(fm.fileExists(atPath: volumes.appendingPathComponent("kubernetes.io~empty-dir/scratch/work").path), "subPath made")
        #expect(try String(contentsOf: volumes.appendingPathComponent("kubernetes.io~downward-api/info/labels"), encoding: .utf8)
            == "app=\"demo\"")
        #expect(await waitUntil { try await Self.log(h, "vols").contains("s3cr3t") }, "the process reads the volume under its pod directory")
        // A changed ConfigMap reaches the files at the next sync (every second here, every minute by default).
        _ = try await h.client.json(.PUT, "/api/v1/namespaces/default/configmaps/files",
                                    body: ["metadata": ["name": "files"], "data": ["app.conf": "port=8080\n"]])
        #expect(await waitUntil { (try? String(contentsOf: conf, encoding: .utf8)) == "port=8080\n" })
        let memory = volumes.appendingPathComponent("kubernetes.io~empty-dir/mem").path
        let secret = volumes.appendingPathComponent("kubernetes.io~secret/sec").path
        let mounted = { (path: String) in Self.tmpfsMounts().contains(path) }
        if geteuid() == 0 {
            #expect(mounted(memory), "medium Memory is a tmpfs when root")
            #expect(mounted(secret), "secrets stay off the disk")
        }
        _ = try await h.client.json(.DELETE, "/api/v1/namespaces/default/pods/vols")
        #expect(await waitUntil { !fm.fileExists(atPath: volumes.path) }, "volumes removed with the pod")
        #expect(!mounted(memory) && !mounted(secret), "the tmpfs volumes are unmounted")
        await h.stop()
    }

    /// The tmpfs mount points of this process's mount namespace.
    static func tmpfsMounts() -> [String] {
        let text = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/mounts")).readToEnd())
            .map { String(decoding: $0, as: UTF8.self) } ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count > 2 && fields[2] == "tmpfs" ? String(fields[1]) : nil
        }
    }

    @Test func aStoppingKubeletUnmountsItsTmpfsVolumes() async throws {
        let h = try await ProcessKubeletTests().start()
        try await Self.create(h, "secrets", "creds", data: ["token": .string(Data("s3cr3t".utf8).base64EncodedString())])
        let c = ProcessKubeletTests.container("c", "sleep 3600")
        try await Self.createPod(h, "keep", ["containers": [c], "volumes": [
            ["name": "sec", "secret": ["secretName": "creds"]], ["name": "mem", "emptyDir": ["medium": "Memory"]],
        ]])
        #expect(await waitUntil { try await h.pod("keep")["status"]?["phase"] == "Running" })
        let data = h.data.path + "/"
        if geteuid() == 0 { #expect(Self.tmpfsMounts().filter { $0.hasPrefix(data) }.count == 2) }
        h.task.cancel()
        _ = try? await h.task.value
        #expect(Self.tmpfsMounts().filter { $0.hasPrefix(data) }.isEmpty)
        await h.stop()
    }

    @Test func volumesThatCannotBeSetUpAreFailedMountAndContainerCreating() async throws {
        let h = try await ProcessKubeletTests().start()
        let base = h.data.deletingLastPathComponent().appendingPathComponent("host").path
        let c = ProcessKubeletTests.container("c", "sleep 3600")
        try await Self.createPod(h, "nocfg", ["containers": [c], "volumes": [["name": "cfg", "configMap": ["name": "nope"]]]])
        try await Self.createPod(h, "nodir", ["containers": [c], "volumes": [
            ["name": "h", "hostPath": ["path": .string(base + "/missing"), "type": "Directory"]],
        ]])
        try await Self.createPod(h, "mkdir", ["containers": [c], "volumes": [
            ["name": "h", "hostPath": ["path": .string(base + "/made"), "type": "DirectoryOrCreate"]],
        ]])
        #expect(await waitUntil {
            try await Self.messages(h, pod: "nocfg", reason: "FailedMount")
                .contains("MountVolume.SetUp failed for volume \"cfg\" : configmap \"nope\" not found")
        })
        #expect(try await h.status("nocfg")?["state"]?["waiting"]?["reason"] == "ContainerCreating")
        #expect(try await h.pod("nocfg")["status"]?["phase"] == "Pending")
        #expect(await waitUntil {
            try await Self.messages(h, pod: "nodir", reason: "FailedMount")
                .contains("MountVolume.SetUp failed for volume \"h\" : hostPath \(base)/missing doesn't exist")
        })
        #expect(try await h.status("nodir")?["state"]?["waiting"]?["reason"] == "ContainerCreating")
        #expect(await waitUntil { try await h.pod("mkdir")["status"]?["phase"] == "Running" })
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: base + "/made", isDirectory: &isDirectory) && isDirectory.boolValue)
        // The ConfigMap appears: the retry mounts it and the pod starts.
        try await Self.create(h, "configmaps", "nope", data: ["k": "v"])
        #expect(await waitUntil { try await h.pod("nocfg")["status"]?["phase"] == "Running" })
        await h.stop()
    }

    @Test func aVolumeMountOfAnUnknownVolumeIsRefusedByTheAPIServer() async throws {
        let h = try await ProcessKubeletTests().start()
        let c = ProcessKubeletTests.container("c", "true").setting("volumeMounts", [["name": "ghost", "mountPath": "/x"]])
        do {
            try await Self.createPod(h, "ghost", ["containers": [c]])
            Issue.record("created a pod mounting an unknown volume")
        } catch let error as APIError {
            #expect(error.code == 422)
            #expect("\(error)".contains("volumeMounts[0].name"))
        }
        await h.stop()
    }
}

extension JSONValue {
    /// A copy with `key` set (objects only).
    func setting(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var object) = self else { return self }
        object[key] = value
        return .object(object)
    }
}
