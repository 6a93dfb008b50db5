import Foundation
import SkiffTLS
import Logging
import SkiffAPI
import SkiffAPIServer
import SkiffTesting

@testable import SkiffKubelet

/// A kubelet server over real pod workers and the real process runtime in a temporary directory, with a
/// cluster CA and a client certificate it signed (as the API server presents).
struct KubeletServerHarness {
    let directory: URL
    let runtime: ProcessRuntime
    let workers: PodWorkers
    let server: KubeletServer
    let port: Int
    let client: (cert: String, key: String)
    let certFile: String
    let keyFile: String
    let pump: Task<Void, Never>

    static func start() async throws -> KubeletServerHarness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubelet-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let runtime = ProcessRuntime(dataDirectory: directory)
        let logger = Logger(label: "skiff.kubelet.test")
        let workers = PodWorkers(runtime: runtime, images: nil, hostIP: "127.0.0.1", logger: logger, notify: { _ in })
        let pki = try PKI.loadOrCreate(directory: directory.appendingPathComponent("pki"), dnsNames: ["localhost"],
                                       ipAddresses: ["127.0.0.1"])
        let server = KubeletServer(configuration: .init(nodeName: "node-a", clientCAPEM: pki.caCertificatePEM, port: 0,
                                                        bindAddress: "127.0.0.1"),
                                   locator: workers, runtime: runtime, logger: logger)
        let port = try await server.start()
        let pump = Task {
            for await exit in runtime.exits {
                await workers.exited(exit)
                server.containerExited(exit.containerID)
            }
        }
        let client = try pki.issueClientCertificate(user: "kube-apiserver-kubelet-client", groups: [])
        let certFile = directory.appendingPathComponent("client.crt").path
        let keyFile = directory.appendingPathComponent("client.key").path
        try client.certificate.write(toFile: certFile, atomically: true, encoding: .utf8)
        try client.key.write(toFile: keyFile, atomically: true, encoding: .utf8)
        return KubeletServerHarness(directory: directory, runtime: runtime, workers: workers, server: server, port: port,
                                    client: (client.certificate, client.key), certFile: certFile, keyFile: keyFile, pump: pump)
    }

    /// Starts pod `name` with one container `c` running `command`; returns once it runs (or ran).
    @discardableResult
    func runPod(_ name: String, command: [String], restartPolicy: String = "Always") async throws -> String {
        let uid = UUID().uuidString.lowercased()
        let pod = core.v1.Pod(metadata: meta.v1.ObjectMeta(name: name, namespace: "default", uid: uid),
                              spec: core.v1.PodSpec(containers: [core.v1.Container(command: command, image: "busybox", name: "c")],
                                                    restartPolicy: restartPolicy),
                              status: core.v1.PodStatus())
        await workers.update(pod)
        try await waitFor({ $0.runningID != nil || $0.currentRun != nil }, pod: name)
        return uid
    }

    /// Waits (30 s at most: the whole suite runs in parallel on two cores) until the container of `pod` satisfies `condition`.
    func waitFor(_ condition: (ContainerTarget) -> Bool, pod: String) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let target = try? await workers.locate(namespace: "default", pod: pod, container: "c"), condition(target) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError(message: "pod \(pod) did not get there in time")
    }

    /// `curl` with the client certificate (or without): the body and the HTTP code.
    func curl(_ path: String, withCertificate: Bool = true, timeout: Duration = .seconds(30)) async throws -> (body: String, code: Int) {
        var args = ["-sk", "-w", "\n%{http_code}"]
        if withCertificate { args += ["--cert", certFile, "--key", keyFile] }
        args.append("https://127.0.0.1:\(port)\(path)")
        let result = try await Kubectl.runProcess("/usr/bin/curl", args, timeout: timeout)
        var lines = result.stdout.components(separatedBy: "\n")
        let code = Int(lines.popLast() ?? "") ?? 0
        return (lines.joined(separator: "\n"), code)
    }

    func webSocket(_ path: String, protocols: [String] = ["v5.channel.k8s.io", "v4.channel.k8s.io"],
                   withCertificate: Bool = true) async throws -> WebSocketTestClient {
        try await WebSocketTestClient(port: port, path: path, protocols: protocols,
                                      certificate: withCertificate ? client : nil)
    }

    func stop() async {
        await runtime.shutdown(grace: .seconds(1))
        await server.stop()
        pump.cancel()
        try? FileManager.default.removeItem(at: directory)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
