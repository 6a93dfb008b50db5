import Foundation
import SkiffImages
import SkiffTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `skiff server --runtime process` through the real binary, driven by the real kubectl.
@Suite struct ProcessRuntimeKubectlTests {
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func kubectlRunsPodsOnTheProcessRuntime() async throws {
        guard let binary = Kubectl.locate() else {
            #expect(!Kubectl.isRequired, "kubectl is required in CI")
            return
        }
        let data = try ProcessKubeletTests.dataDirectoryWithBusybox()
        defer { try? FileManager.default.removeItem(at: data.deletingLastPathComponent()) }
        let server = try SkiffProcess(["server", "--data-dir", data.path, "--port", String(Self.freePort()),
                                       "--runtime", "process", "--node-name", "local", "--kubelet-port", "0"])
        let kubectl = Kubectl(binary: binary, kubeconfig: data.appendingPathComponent("kubeconfig.yaml"))
        let ready = await waitUntil(timeout: .seconds(60)) {
            let nodes = try await kubectl.run("get", "nodes", "--no-headers")
            return nodes.stdout.contains("local") && nodes.stdout.contains(" Ready")
        }
        #expect(ready, "server log: \(server.log)")
        let run = try await kubectl.run("run", "sleeper", "--image=busybox", "--image-pull-policy=Never", "--",
                                        "sh", "-c", "echo hi; sleep 3600")
        #expect(run.succeeded, "\(run)")
        let job = try await kubectl.run("run", "once", "--image=busybox", "--restart=Never", "--",
                                        "sh", "-c", "echo done")
        #expect(job.succeeded, "\(job)")
        // `kubectl run -i`: stdin reaches the process through attach, and stdinOnce closes it with kubectl's.
        let piped = try await kubectl.run(["run", "reader", "-i", "--image=busybox", "--image-pull-policy=Never", "--restart=Never",
                                           "--", "sh", "-c", "cat; echo done"], stdin: "through attach\n", timeout: .seconds(60))
        #expect(piped.succeeded && piped.stdout.contains("through attach\ndone\n"), "\(piped)")
        // `kubectl run -it` on a terminal (script(1) gives kubectl one): the process runs on a terminal of its
        // own, and `--rm` returns its exit code.
        let shell = try await Kubectl.runProcess(
            "/usr/bin/script", ["-qec", "\(binary) run shell -it --rm --image=busybox --image-pull-policy=Never --restart=Never -- sh", "/dev/null"],
            environment: ["KUBECONFIG": data.appendingPathComponent("kubeconfig.yaml").path],
            stdin: "tty; echo \"sum $((40+2))\"; exit 3\n", timeout: .seconds(60))
        #expect(shell.status == 3, "\(shell)")
        #expect(shell.stdout.contains("/dev/pts/") && shell.stdout.contains("sum 42"), "\(shell)")
        let statuses = await waitUntil {
            let pods = try await kubectl.run("get", "pods", "--no-headers")
            let lines = pods.stdout.split(separator: "\n")
            return lines.contains { $0.hasPrefix("sleeper ") && $0.contains("1/1") && $0.contains("Running") }
                && lines.contains { $0.hasPrefix("once ") && $0.contains("Completed") }
        }
        let wide = try await kubectl.run("get", "pods", "-o", "wide")
        #expect(statuses, "\(wide)\nserver log: \(server.log)")
        let deleted = try await kubectl.run(["delete", "pod", "sleeper", "once", "reader", "--grace-period=2"], timeout: .seconds(60))
        #expect(deleted.succeeded, "\(deleted)")
        #expect(try await kubectl.run("get", "pods", "--no-headers").output.contains("No resources found"))
        #expect(await server.stop() == 0)
    }
}
