import Foundation
import SkiffImages
import SkiffTesting
import Testing

/// `skiff server` as an ordinary user, the process runtime's whole point: HTTPS works (no privileged socket
/// option), pods run with their volumes (plain directories) at their mountPaths, logs stream, exec enters the
/// container, and limits the runtime cannot enforce are reported instead of ignored.
@Suite(.serialized) struct UnprivilegedServerTests {
    static let nobody = "65534"

    @Test func theServerRunsPodsWithVolumesAndLogsAsAnOrdinaryUser() async throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            #expect(ProcessInfo.processInfo.environment["CI"] != "true", "CI runs as root with setpriv")
            return
        }
        guard let binary = Kubectl.locate() else {
            #expect(!Kubectl.isRequired, "kubectl is required in CI")
            return
        }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-nonroot-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: base) }
        let data = base.appendingPathComponent("data")
        _ = try ImageStore(dataDirectory: data).importImage(from: try Self.busyboxRoot(in: base),
                                                            options: ImportOptions(tag: try ImageReference(parsing: "busybox")))
        // A copy of the binary nobody can execute, wherever the build directory is (CI may clone under /root).
        let skiff = base.appendingPathComponent("skiff")
        try FileManager.default.copyItem(atPath: try #require(SkiffProcess.locate()), toPath: skiff.path)
        chmod(base.path, 0o755)
        let chown = try await Kubectl.runProcess("/bin/chown", ["-R", "\(Self.nobody):\(Self.nobody)", base.path])
        #expect(chown.succeeded, "\(chown)")
        let server = try SkiffProcess(["server", "--runtime", "process", "--data-dir", data.path, "--node-name", "plain",
                                       "--port", String(ProcessRuntimeKubectlTests.freePort()),
                                       "--kubelet-port", String(ProcessRuntimeKubectlTests.freePort())],
                                      launcher: ["/usr/bin/setpriv", "--reuid=\(Self.nobody)", "--regid=\(Self.nobody)",
                                                 "--clear-groups", "--"], binary: skiff.path)
        let kubectl = Kubectl(binary: binary, kubeconfig: data.appendingPathComponent("kubeconfig.yaml"))
        let ready = await waitUntil(timeout: .seconds(60)) {
            try await kubectl.run("get", "node", "plain", "--no-headers").stdout.contains(" Ready")
        }
        #expect(ready, "server log: \(server.log)")
        let owner = try FileManager.default.attributesOfItem(atPath: data.appendingPathComponent("db/state.db").path)[.ownerAccountID]
        #expect((owner as? NSNumber)?.intValue == 65534, "the server really ran as nobody")

        let manifest = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: cfg}
            data: {greeting: hello}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: sec}
            stringData: {token: s3cr3t}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: vols, labels: {app: v}}
            spec:
              initContainers:
              - {name: init, image: busybox, imagePullPolicy: Never, command: [sh, -c, 'echo from-init > /work/note'],
                 volumeMounts: [{name: work, mountPath: /work}]}
              containers:
              - name: c
                image: busybox
                imagePullPolicy: Never
                command: [sh, -c, 'cat /etc/config/greeting /var/run/secrets/app/token /etc/podinfo/labels /work/note; sleep 3600']
                resources: {limits: {memory: 64Mi}}
                volumeMounts:
                - {name: cfg, mountPath: /etc/config}
                - {name: sec, mountPath: /var/run/secrets/app}
                - {name: info, mountPath: /etc/podinfo}
                - {name: work, mountPath: /work}
              volumes:
              - {name: cfg, configMap: {name: cfg}}
              - {name: sec, secret: {secretName: sec}}
              - {name: info, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}}
              - {name: work, emptyDir: {}}
            """
        let applied = try await kubectl.run(["apply", "-f", "-"], stdin: manifest)
        #expect(applied.succeeded, "\(applied)")
        let expected = "hellos3cr3tapp=\"v\"from-init\n"
        let done = await waitUntil(timeout: .seconds(60)) {
            try await kubectl.run("logs", "vols").stdout == expected
        }
        let seen = try await kubectl.run("get", "pod", "vols", "-o", "yaml").stdout
        #expect(done, "\(seen) server log: \(server.log.suffix(3000))")
        // Volumes are at their mountPaths only inside the container; exec runs there too.
        let exec = try await kubectl.run("exec", "vols", "--", "cat", "/etc/config/greeting")
        #expect(exec.succeeded && exec.stdout == "hello", "\(exec)")
        #expect(!FileManager.default.fileExists(atPath: "/etc/config/greeting"))
        let events = try await kubectl.run("get", "events", "--field-selector", "involvedObject.name=vols,reason=LimitsNotEnforced",
                                           "-o", "jsonpath={.items[*].message}")
        #expect(events.stdout.contains("memory: 64Mi"), "\(events)")
        let condition = try await kubectl.run("get", "node", "plain", "-o",
                                              "jsonpath={.status.conditions[?(@.type==\"LimitsEnforced\")].status}")
        #expect(condition.stdout == "False", "\(condition)")
        _ = await server.stop()
    }

    /// A root file system with busybox and its `sh`, owned by whoever imports it.
    static func busyboxRoot(in base: URL) throws -> URL {
        let root = base.appendingPathComponent("rootfs")
        let bin = root.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/usr/bin/busybox", toPath: bin.appendingPathComponent("busybox").path)
        for applet in ["sh", "cat", "echo"] {
            try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent(applet).path, withDestinationPath: "busybox")
        }
        return root
    }
}
