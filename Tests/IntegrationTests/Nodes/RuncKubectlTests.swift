import Foundation
import SkiffImages
import SkiffKubelet
import SkiffTesting
import Testing

/// `skiff server --runtime runc` through the real binary, driven by the real kubectl: pods become real
/// containers with their own address, hostname, logs, limits and a clean teardown.
@Suite(.serialized) struct RuncKubectlTests {
    @Test func kubectlRunsPodsAsRuncContainers() async throws {
        guard RuncRuntimeTests.available() else { return }
        guard let binary = Kubectl.locate() else {
            #expect(!Kubectl.isRequired, "kubectl is required in CI")
            return
        }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-runc-kubectl-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: base) }
        let rootfs = base.appendingPathComponent("rootfs")
        try RuncRuntimeTests.Fixture.makeBusyboxLayer(at: rootfs)
        let data = base.appendingPathComponent("data")
        var options = ImportOptions(tag: try ImageReference(parsing: "busybox"))
        options.cmd = ["sh"]
        _ = try ImageStore(dataDirectory: data).importImage(from: rootfs, options: options)

        let server = try SkiffProcess(["server", "--data-dir", data.path, "--port", String(ProcessRuntimeKubectlTests.freePort()),
                                       "--runtime", "runc", "--node-name", "local", "--disable-proxy", "--disable-cluster-dns"])
        let kubectl = Kubectl(binary: binary, kubeconfig: data.appendingPathComponent("kubeconfig.yaml"))
        let ready = await waitUntil(timeout: .seconds(60)) {
            let nodes = try await kubectl.run("get", "nodes", "-o", "wide", "--no-headers")
            return nodes.stdout.contains("local") && nodes.stdout.contains(" Ready") && nodes.stdout.contains("\(OCIRuntime.preferred.rawValue)://")
        }
        #expect(ready, "server log: \(server.log)")
        #expect(try await kubectl.run("get", "node", "local", "-o", "jsonpath={.spec.podCIDR}").stdout == "10.244.0.0/24")

        let run = try await kubectl.run("run", "web", "--image=busybox", "--image-pull-policy=Never", "--",
                                        "sh", "-c", "hostname; httpd -f -p 80 -h /etc")
        #expect(run.succeeded, "\(run)")
        let hog = """
            apiVersion: v1
            kind: Pod
            metadata: {name: hog}
            spec:
              restartPolicy: Never
              containers:
              - name: c
                image: busybox
                imagePullPolicy: Never
                command: [sh, -c, 'x=$(head -c 134217728 /dev/zero | tr "\\0" a); sleep 60']
                resources: {limits: {memory: 32Mi}}
            """
        let applied = try await kubectl.run(["apply", "-f", "-"], stdin: hog)
        #expect(applied.succeeded, "\(applied)")
        let running = await waitUntil(timeout: .seconds(60)) {
            try await kubectl.run("get", "pod", "web", "--no-headers").stdout.contains("1/1")
        }
        #expect(running, "server log: \(server.log)")
        let ip = try await kubectl.run("get", "pod", "web", "-o", "jsonpath={.status.podIP}").stdout
        #expect(ip.hasPrefix("10.244.0."), "\(ip)")
        // The host reaches the pod over the bridge; the pod's /etc/hostname is its name.
        let fetched = await waitUntil(timeout: .seconds(10)) {
            try await Kubectl.runProcess("/usr/bin/busybox", ["wget", "-qO-", "http://\(ip)/hostname"]).stdout == "web\n"
        }
        #expect(fetched)
        let uid = try await kubectl.run("get", "pod", "web", "-o", "jsonpath={.metadata.uid}").stdout
        let log = (try? String(contentsOf: data.appendingPathComponent("pods/\(uid)/web/0.log"), encoding: .utf8)) ?? ""
        #expect(log.hasSuffix(" stdout F web\n"), "\(log)")
        let oom = await waitUntil(timeout: .seconds(60)) {
            try await kubectl.run("get", "pod", "hog", "-o", "jsonpath={.status.containerStatuses[0].state.terminated.reason}")
                .stdout == "OOMKilled"
        }
        #expect(oom, "server log: \(server.log)")

        // `kubectl run -i`: stdin reaches the container through attach, and stdinOnce closes it when kubectl's
        // ends, so the container sees EOF and completes.
        let piped = try await kubectl.run(["run", "reader", "-i", "--image=busybox", "--image-pull-policy=Never", "--restart=Never",
                                           "--", "sh", "-c", "cat; echo done"], stdin: "through attach\n", timeout: .seconds(60))
        #expect(piped.succeeded && piped.stdout.contains("through attach\ndone\n"), "\(piped)")
        let completed = await waitUntil(timeout: .seconds(30)) {
            try await kubectl.run("get", "pod", "reader", "-o", "jsonpath={.status.phase}").stdout == "Succeeded"
        }
        #expect(completed, "server log: \(server.log)")

        // `kubectl run -it`: kubectl on a terminal (script(1) gives it one) gets an interactive shell on the
        // container's own terminal, and `--rm` returns the shell's exit code.
        let script = "/usr/bin/script"
        #expect(FileManager.default.isExecutableFile(atPath: script), "script(1) from bsdutils drives kubectl on a terminal")
        let shell = try await Kubectl.runProcess(
            script, ["-qec", "\(binary) run shell -it --rm --image=busybox --image-pull-policy=Never --restart=Never -- sh", "/dev/null"],
            environment: ["KUBECONFIG": data.appendingPathComponent("kubeconfig.yaml").path],
            stdin: "tty; echo \"sum $((40+2))\"; exit 3\n", timeout: .seconds(60))
        #expect(shell.status == 3, "\(shell)")
        #expect(shell.stdout.contains("/ # ") && shell.stdout.contains("/dev/pts/0") && shell.stdout.contains("sum 42"), "\(shell)")

        let deleted = try await kubectl.run(["delete", "pod", "web", "hog", "reader", "--grace-period=1"], timeout: .seconds(60))
        #expect(deleted.succeeded, "\(deleted)")
        let runc = try await Kubectl.runProcess(OCIRuntime.preferred.path, ["--root", data.appendingPathComponent("run/runc").path, "list", "-q"])
        #expect(runc.stdout.isEmpty, "\(runc.stdout)")
        // The sandbox goes once the kubelet saw the object's deletion.
        #expect(await waitUntil(timeout: .seconds(10)) { RuncRuntimeTests.podMounts(under: data) == [] })
        #expect(await server.stop() == 0)
        #expect(RuncRuntimeTests.mounts(under: data) == [])
    }

    @Test func runcWithoutRootIsRefusedAtStartUp() async throws {
        guard RuncRuntimeTests.available(), let skiff = SkiffProcess.locate(),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
        let result = try await Kubectl.runProcess("/usr/bin/setpriv", [
            "--reuid=65534", "--regid=65534", "--clear-groups", skiff, "server", "--runtime", "runc",
            "--data-dir", "/nonexistent/skiff",
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--runtime runc cannot run here: the runc runtime needs root"), "\(result.stderr)")
    }
}
