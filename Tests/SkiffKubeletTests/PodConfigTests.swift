import Foundation
import SkiffAPI
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@testable import SkiffKubelet

/// Env expansion, downward API values, resources and QoS, and the atomic volume writer.
@Suite struct PodConfigTests {
    @Test func expansionFollowsUpstream() throws {
        let env = ["A": "a", "B": "b"]
        let expand = { (text: String) in ContainerEnvironment.expand(text) { env[$0] } }
        #expect(expand("$(A)-$(B)") == "a-b")
        #expect(expand("$(C)") == "$(C)", "undefined stays as written")
        #expect(expand("$$(A)") == "$(A)", "$$ escapes")
        #expect(expand("$A $") == "$A $")
        #expect(expand("x$(A") == "x$(A", "incomplete reference kept")
        #expect(expand("$$$(A)") == "$a")
        #expect(throws: ConfigFailure.self) { try ContainerEnvironment.expandSubPath("$(POD)/x", environment: [:]) }
        #expect(try ContainerEnvironment.expandSubPath("$(POD)/x", environment: ["POD": "p"]) == "p/x")
    }

    @Test func envResolvesValueFromAndReportsMissingObjectsInUpstreamsWords() async throws {
        let source = PodConfigSource(
            configMap: { _, name in name == "cfg" ? core.v1.ConfigMap(data: ["greeting": "hi", "other": "o"]) : nil },
            secret: { _, name in name == "sec" ? core.v1.Secret(data: ["token": Data("s3cr3t".utf8).base64EncodedString()]) : nil })
        let pod = try core.v1.Pod(json: ["metadata": ["name": "p", "namespace": "ns", "uid": "u1", "labels": ["app": "web"]],
                                         "spec": ["nodeName": "n1", "serviceAccountName": "default"]])
        let downward = DownwardAPI(pod: pod, hostIP: "10.0.0.1", podIP: "10.1.0.5", allocatableMilliCPU: 4000,
                                   allocatableMemory: 8 << 30)
        let container = try core.v1.Container(json: [
            "name": "c",
            "resources": ["limits": ["memory": "64Mi"], "requests": ["cpu": "250m"]],
            "envFrom": [["configMapRef": ["name": "cfg"], "prefix": "CFG_"], ["secretRef": ["name": "nope", "optional": true]]],
            "env": [
                ["name": "GREETING", "valueFrom": ["configMapKeyRef": ["name": "cfg", "key": "greeting"]]],
                ["name": "TOKEN", "valueFrom": ["secretKeyRef": ["name": "sec", "key": "token"]]],
                ["name": "POD", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]],
                ["name": "APP", "valueFrom": ["fieldRef": ["fieldPath": "metadata.labels['app']"]]],
                ["name": "NODE", "valueFrom": ["fieldRef": ["fieldPath": "spec.nodeName"]]],
                ["name": "IP", "valueFrom": ["fieldRef": ["fieldPath": "status.podIP"]]],
                ["name": "MEM", "valueFrom": ["resourceFieldRef": ["resource": "limits.memory", "divisor": "1Mi"]]],
                ["name": "CPU_LIMIT", "valueFrom": ["resourceFieldRef": ["resource": "limits.cpu"]]],
                ["name": "CPU_REQ", "valueFrom": ["resourceFieldRef": ["resource": "requests.cpu", "divisor": "1m"]]],
                ["name": "MSG", "value": "$(GREETING) from $(POD) $$(POD)"],
                ["name": "MISSING_OK", "valueFrom": ["configMapKeyRef": ["name": "cfg", "key": "x", "optional": true]]],
            ],
        ])
        let objects = PodConfigObjects(source: source, namespace: "ns")
        let env = try await ContainerEnvironment.resolve(container: container, objects: objects, downward: downward)
        #expect(env["CFG_greeting"] == "hi")
        #expect(env["GREETING"] == "hi")
        #expect(env["TOKEN"] == "s3cr3t")
        #expect(env["POD"] == "p")
        #expect(env["APP"] == "web")
        #expect(env["NODE"] == "n1")
        #expect(env["IP"] == "10.1.0.5")
        #expect(env["MEM"] == "64")
        #expect(env["CPU_LIMIT"] == "4", "no limit: node allocatable")
        #expect(env["CPU_REQ"] == "250")
        #expect(env["MSG"] == "hi from p $(POD)")
        #expect(env["MISSING_OK"] == nil)

        func failure(_ env: JSONValue) async -> String? {
            do {
                let container = try core.v1.Container(json: ["name": "c", "env": [env]])
                _ = try await ContainerEnvironment.resolve(container: container, objects: objects, downward: downward)
                return nil
            } catch { return "\(error)" }
        }
        #expect(await failure(["name": "X", "valueFrom": ["configMapKeyRef": ["name": "app-cfg", "key": "k"]]])
            == "configmap \"app-cfg\" not found")
        #expect(await failure(["name": "X", "valueFrom": ["configMapKeyRef": ["name": "cfg", "key": "nokey"]]])
            == "couldn't find key nokey in ConfigMap ns/cfg")
        #expect(await failure(["name": "X", "valueFrom": ["secretKeyRef": ["name": "s2", "key": "k"]]]) == "secret \"s2\" not found")
        #expect(await failure(["name": "X", "valueFrom": ["secretKeyRef": ["name": "sec", "key": "k"]]])
            == "couldn't find key k in Secret ns/sec")
    }

    @Test func resourcesBecomeCgroupSettingsAsTheKubeletComputesThem() throws {
        func container(_ json: JSONValue) throws -> core.v1.Container { try core.v1.Container(json: json) }
        func pod(_ json: JSONValue) throws -> core.v1.Pod { try core.v1.Pod(json: json) }
        let r = ContainerResources(containerSpec: try container(["resources": ["limits": ["memory": "32Mi", "cpu": "500m"],
                                                                               "requests": ["cpu": "100m"]]]))
        #expect(r.memoryLimitBytes == 32 << 20)
        #expect(r.cpuShares == 102)
        #expect(r.cpuQuotaMicros == 50_000)
        #expect(r.cpuPeriodMicros == 100_000)
        let none = ContainerResources(containerSpec: core.v1.Container(name: "c"))
        #expect(none.cpuShares == 2)
        #expect(none.memoryLimitBytes == nil && none.cpuQuotaMicros == nil)
        #expect(ContainerResources(containerSpec: try container(["resources": ["limits": ["cpu": "1m"]]])).cpuQuotaMicros == 1000,
                "at least 1 ms")
        #expect(ContainerResources(containerSpec: try container(["resources": ["limits": ["cpu": "2"]]])).cpuShares == 2048,
                "request defaults to limit")
        #expect(ContainerResources(containerSpec: try container(["resources": ["limits": ["cpu": 2, "memory": 1024]]]))
            == ContainerResources(memoryLimitBytes: 1024, cpuShares: 2048, cpuQuotaMicros: 200_000), "numbers are quantities too")

        let guaranteed = try pod(["spec": ["containers": [["resources": ["limits": ["cpu": "1", "memory": "1Gi"]]]]]])
        #expect(PodQOS.podClass(guaranteed) == "Guaranteed")
        let burstable = try pod(["spec": ["containers": [["resources": ["requests": ["cpu": "1"]]], ["name": "b"]]]])
        #expect(PodQOS.podClass(burstable) == "Burstable")
        #expect(PodQOS.podClass(try pod(["spec": ["containers": [["name": "a"]]]])) == "BestEffort")
    }

    @Test func theAtomicWriterSwapsDataDirectoriesAndKeepsUnchangedPayloads() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-atomic-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = AtomicWriter(directory: dir)
        try writer.write(["a": .init(data: Data("1".utf8), mode: 0o644), "sub/b": .init(data: Data("2".utf8), mode: 0o400)])
        let fm = FileManager.default
        let first = try fm.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("..data").path)
        #expect(first.hasPrefix(".."))
        #expect(try fm.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("a").path) == "..data/a")
        #expect(try String(contentsOf: dir.appendingPathComponent("sub/b"), encoding: .utf8) == "2")
        let mode = try fm.attributesOfItem(atPath: dir.appendingPathComponent("..data/sub/b").path)[.posixPermissions] as? Int
        #expect(mode == 0o400)
        try writer.write(["a": .init(data: Data("1".utf8), mode: 0o644), "sub/b": .init(data: Data("2".utf8), mode: 0o400)])
        #expect(try fm.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("..data").path) == first, "unchanged")
        try writer.write(["a": .init(data: Data("3".utf8), mode: 0o644)])
        #expect(try fm.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("..data").path) != first)
        #expect(try String(contentsOf: dir.appendingPathComponent("a"), encoding: .utf8) == "3")
        #expect(!fm.fileExists(atPath: dir.appendingPathComponent("sub").path), "stale names removed")
        #expect(!fm.fileExists(atPath: dir.appendingPathComponent(first).path), "old data directory removed")
        #expect(throws: ConfigFailure.self) { try writer.write(["../x": .init(data: Data(), mode: 0o644)]) }
    }

    @Test func hostPathTypesAreCheckedWithUpstreamsMessages() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-hp-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        func message(_ path: String, _ type: String) -> String? {
            do { try HostPathType.check(path: path, type: type); return nil } catch { return error.description }
        }
        #expect(message(base + "/d", "DirectoryOrCreate") == nil)
        #expect(message(base + "/d", "Directory") == nil)
        #expect(message(base + "/f", "FileOrCreate") == nil)
        #expect(message(base + "/missing", "Directory") == "hostPath \(base)/missing doesn't exist")
        #expect(message(base + "/f", "Directory") == "hostPath type check failed: \(base)/f is not a directory, it's a File")
        #expect(message(base + "/d", "File") == "hostPath type check failed: \(base)/d is not a file, it's a Directory")
        #expect(message(base + "/d", "Socket") == "hostPath type check failed: \(base)/d is not a socket file, it's a Directory")
        #expect(message("/dev/null", "CharDevice") == nil)
        #expect(message("/dev/null", "BlockDevice") == "hostPath type check failed: /dev/null is not a block device, it's a CharDevice")
        #expect(message(base + "/d", "Weird") == "Weird is an invalid volume type")
        #expect(message(base + "/anything", "") == nil)
    }

    @Test func subPathsStayInsideTheVolume() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-sp-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: base + "/vol", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createSymbolicLink(atPath: base + "/vol/out", withDestinationPath: "/etc")
        let volumes = ["v": PodVolumes.Prepared(hostPath: base + "/vol", readOnly: false)]
        let container = try core.v1.Container(json: ["name": "c", "volumeMounts": [
            ["name": "v", "mountPath": "/data", "subPath": "a/b"],
            ["name": "v", "mountPath": "/p", "subPathExpr": "$(POD)", "readOnly": true],
        ]])
        let mounts = try ContainerMounts.make(container: container, volumes: volumes, environment: ["POD": "web"])
        let real = URL(fileURLWithPath: base).resolvingSymlinksInPath().path
        #expect(mounts == [ContainerMount(hostPath: real + "/vol/a/b", containerPath: "/data"),
                           ContainerMount(hostPath: real + "/vol/web", containerPath: "/p", readOnly: true)])
        #expect(FileManager.default.fileExists(atPath: base + "/vol/a/b"))
        func failure(_ mount: JSONValue) -> String? {
            do {
                let container = try core.v1.Container(json: ["name": "c", "volumeMounts": [mount]])
                _ = try ContainerMounts.make(container: container, volumes: volumes, environment: [:])
                return nil
            } catch { return "\(error)" }
        }
        #expect(failure(["name": "v", "mountPath": "/x", "subPath": "/abs"]) == "error SubPath `/abs` must not be an absolute path")
        #expect(failure(["name": "v", "mountPath": "/x", "subPath": "a/../.."])?.contains("must not contain '..'") == true)
        #expect(failure(["name": "v", "mountPath": "/x", "subPath": "out"])?.contains("not within volume path") == true)
        #expect(failure(["name": "nope", "mountPath": "/x"]) == "cannot find volume \"nope\" to mount into container \"c\"")
    }
}

@Suite struct PodVolumesTmpfsTests {
    @Test(.enabled(if: geteuid() == 0)) func memoryEmptyDirIsATmpfsUnmountedOnTearDown() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-tmpfs-\(UUID().uuidString.prefix(8))")
        let volumes = PodVolumes(podDirectory: base)
        let dir = volumes.directory(plugin: "empty-dir", name: "m").path
        try PodVolumes.makeDirectory(dir, mode: 0o777)
        try PodVolumes.mountTmpfs(at: dir, sizeLimit: 1 << 20)
        try PodVolumes.mountTmpfs(at: dir, sizeLimit: 1 << 20)
        let points = PodVolumes.mountPoints()
        #expect(points.contains(dir))
        volumes.tearDown()
        #expect(!PodVolumes.mountPoints().contains(dir))
        #expect(!FileManager.default.fileExists(atPath: base.appendingPathComponent("volumes").path))
        try? FileManager.default.removeItem(at: base)
    }
}
