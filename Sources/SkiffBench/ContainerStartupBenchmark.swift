import Foundation
public import SkiffAPI
import SkiffClient

/// `skiff bench pods --runtime runc|process`: real containers on the server's own node. Pods created at once
/// (image present) are timed from their create request to the watch event that shows them Running; then,
/// with every pod idle, the server's memory per pod and the CPU it spends while nothing changes.
public enum ContainerStartupBenchmark {
    public struct Options: Sendable {
        public var binary: String
        public var runtime: String
        /// `--oci-runtime` for the server (runc or crun); nil leaves the server's default.
        public var ociRuntime: String?
        public var pods: Int = 30
        /// How long the idle CPU is measured.
        public var idleSeconds: Double = 10
        public var timeoutSeconds: Double = 120

        public init(binary: String, runtime: String) {
            self.binary = binary
            self.runtime = runtime
        }
    }

    public static func run(_ options: Options, emit: @Sendable (JSONValue) -> Void) async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-bench-\(UUID().uuidString.prefix(8))")
        try importBusybox(binary: options.binary, dataDirectory: data)
        let server = try await ServerProcess(binary: options.binary, command: "server",
                                             arguments: ["--runtime", options.runtime] + (options.ociRuntime.map { ["--oci-runtime", $0] } ?? []),
                                             dataDirectory: data)
        defer { server.stop() }
        let target = server.target
        let client = try RESTClient(config: ClientConfig(server: "https://127.0.0.1:\(target.port)",
                                                         certificateAuthorityPEM: target.caPEM, bearerToken: target.token))
        defer { Task { try? await client.shutdown() } }
        let containerRuntime = try await waitForReadyNode(client, timeout: options.timeoutSeconds)
        _ = try await client.json(.POST, "/api/v1/namespaces", body: ["metadata": ["name": "bench"]])

        // One pod first, so the measured ones find the node warm (image layers mounted once, caches filled).
        let warm = try await startPods(client, names: ["warm-up"], timeout: options.timeoutSeconds)
        try await deletePods(client, names: ["warm-up"], timeout: options.timeoutSeconds)
        try await Task.sleep(for: .seconds(2))
        let idleBefore = server.residentBytes
        // The server's own idle CPU without pods: what the pods add is the difference.
        let baselineStart = server.cpuSeconds
        try await Task.sleep(for: .seconds(options.idleSeconds))
        let baselinePerSecond = (server.cpuSeconds - baselineStart) / options.idleSeconds

        let names = (0..<options.pods).map { "bench-\($0)" }
        try await warmConnections(client, count: options.pods)
        let burstCPU = server.cpuSeconds, burstMachineCPU = machineBusySeconds()
        let latencies = try await startPods(client, names: names, timeout: options.timeoutSeconds).sorted()
        // The server's own CPU (API, scheduler, kubelet; not runc's) per pod of the burst.
        let serverCPUPerPod = (server.cpuSeconds - burstCPU) / Double(max(1, options.pods))
        // Everything the machine did meanwhile (runc and the containers too, and this client).
        let machineCPUPerPod = (machineBusySeconds() - burstMachineCPU) / Double(max(1, options.pods))
        // Let the status writes and events settle, then measure the node at rest.
        try await Task.sleep(for: .seconds(3))
        let idleAfter = server.residentBytes
        let cpuStart = server.cpuSeconds
        try await Task.sleep(for: .seconds(options.idleSeconds))
        let cpuPerSecond = (server.cpuSeconds - cpuStart) / options.idleSeconds
        emit(["bench": "pods.startup", "runtime": .string(options.runtime), "container_runtime": .string(containerRuntime),
              "pods": .int(Int64(options.pods)),
              "running": .int(Int64(latencies.count)),
              "first_pod_ms": .double(milliseconds(warm.first ?? .zero)),
              "p50_ms": .double(milliseconds(percentile(latencies, 0.50))),
              "p99_ms": .double(milliseconds(percentile(latencies, 0.99))),
              "min_ms": .double(milliseconds(latencies.first ?? .zero)),
              "max_ms": .double(milliseconds(latencies.last ?? .zero)),
              "server_cpu_ms_per_pod": .double((serverCPUPerPod * 1000 * 10).rounded() / 10),
              "machine_cpu_ms_per_pod": .double((machineCPUPerPod * 1000 * 10).rounded() / 10),
              "target_p50_ms": 300, "target_p99_ms": 1000])
        emit(["bench": "pods.idle", "runtime": .string(options.runtime), "pods": .int(Int64(options.pods)),
              "server_rss_mb": .double(megabytes(idleAfter)),
              "rss_per_pod_mb": .double(megabytes((idleAfter - idleBefore) / max(1, options.pods))),
              "idle_cpu_ms_per_s": .double((cpuPerSecond * 1000 * 10).rounded() / 10),
              "idle_cpu_ms_per_s_without_pods": .double((baselinePerSecond * 1000 * 10).rounded() / 10),
              "target_rss_per_pod_mb": 1])
        try await deletePods(client, names: names, timeout: options.timeoutSeconds)
    }

    /// A one-layer image of the host's static busybox, imported as `bench:latest` (command `sleep 3600`).
    static func importBusybox(binary: String, dataDirectory: URL) throws {
        let fm = FileManager.default
        let rootfs = dataDirectory.deletingLastPathComponent().appendingPathComponent(dataDirectory.lastPathComponent + "-rootfs")
        defer { try? fm.removeItem(at: rootfs) }
        let bin = rootfs.appendingPathComponent("bin")
        try fm.createDirectory(at: bin, withIntermediateDirectories: true)
        guard let busybox = ["/usr/bin/busybox", "/bin/busybox"].first(where: fm.isExecutableFile(atPath:)) else {
            throw BenchError("busybox is not installed (Debian: busybox-static)")
        }
        try fm.copyItem(atPath: busybox, toPath: bin.appendingPathComponent("busybox").path)
        for tool in ["sh", "sleep"] {
            try fm.createSymbolicLink(atPath: bin.appendingPathComponent(tool).path, withDestinationPath: "busybox")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["image", "import", rootfs.path, "--tag", "bench:latest", "--cmd", "sleep 3600",
                             "--data-dir", dataDirectory.path]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("skiff image import failed") }
    }

    /// Waits for a Ready node and a scheduler that holds its lease: a node can turn Ready before the scheduler
    /// leads, and a pod created then would wait for it.
    /// Waits for a scheduler to lead and a node to be Ready; returns its container runtime (`crun://1.8.1`).
    @discardableResult
    static func waitForReadyNode(_ client: RESTClient, timeout: Double) async throws -> String {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(timeout) {
            let lease = try? await client.api(coordination.v1.Lease.self, namespace: "kube-system").get("kube-scheduler")
            guard lease?.spec?.holderIdentity != nil else {
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            let nodes = try await client.nodes().list().items
            if let ready = nodes.first(where: { $0.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } == true }) {
                return ready.status?.nodeInfo?.containerRuntimeVersion ?? ""
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("no node became Ready")
    }

    /// Creates the pods at once and returns, per pod, the time from its create request to the watch event
    /// that shows it Running.
    static func startPods(_ client: RESTClient, names: [String], timeout: Double) async throws -> [Duration] {
        let list = try await client.json(.GET, "/api/v1/namespaces/bench/pods")
        let revision = list["metadata"]?["resourceVersion"]?.stringValue ?? "0"
        let events = client.watch("/api/v1/namespaces/bench/pods", query: [("resourceVersion", revision)])
        let created = Clock()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in names {
                group.addTask {
                    await created.mark(name)
                    _ = try await client.json(.POST, "/api/v1/namespaces/bench/pods", body: [
                        "metadata": ["name": .string(name)],
                        "spec": ["terminationGracePeriodSeconds": 1,
                                 "containers": [["name": "c", "image": "bench:latest", "imagePullPolicy": "Never"]]],
                    ])
                }
            }
            try await group.waitForAll()
        }
        var running: [String: Duration] = [:]
        let deadline = ContinuousClock.now + .seconds(timeout)
        for try await event in events {
            let name = event.object["metadata"]?["name"]?.stringValue ?? ""
            if running[name] == nil, names.contains(name), event.object["status"]?["phase"]?.stringValue == "Running",
               let since = await created.elapsed(name) {
                running[name] = since
            }
            if running.count == names.count || ContinuousClock.now > deadline { break }
        }
        guard running.count == names.count else { throw BenchError("only \(running.count) of \(names.count) pods ran") }
        return Array(running.values)
    }

    /// Opens the client's connections before the burst, so the pods' start-up does not include `count` TLS
    /// handshakes on both sides: this HTTP/1.1 client sends concurrent creates over as many connections,
    /// where client-go multiplexes them over one established HTTP/2 connection.
    static func warmConnections(_ client: RESTClient, count: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<count {
                group.addTask { _ = try await client.json(.GET, "/api/v1/namespaces/bench") }
            }
            try await group.waitForAll()
        }
    }

    static func deletePods(_ client: RESTClient, names: [String], timeout: Double) async throws {
        for name in names { _ = try? await client.json(.DELETE, "/api/v1/namespaces/bench/pods/\(name)") }
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(timeout) {
            let left = try await client.json(.GET, "/api/v1/namespaces/bench/pods")["items"]?.arrayValue?.filter {
                names.contains($0["metadata"]?["name"]?.stringValue ?? "")
            } ?? []
            if left.isEmpty { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("pods were not deleted")
    }

    /// When each pod's create request was sent.
    actor Clock {
        var starts: [String: ContinuousClock.Instant] = [:]
        func mark(_ name: String) { starts[name] = .now }
        func elapsed(_ name: String) -> Duration? { starts[name].map { .now - $0 } }
    }

    /// CPU time all cores spent busy since boot (`/proc/stat`: everything but idle and iowait).
    static func machineBusySeconds() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return 0 }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 5 else { return 0 }
        let busy = fields.enumerated().filter { $0.offset != 3 && $0.offset != 4 && $0.offset < 8 }.reduce(0) { $0 + $1.element }
        return busy / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func percentile(_ sorted: [Duration], _ p: Double) -> Duration {
        guard !sorted.isEmpty else { return .zero }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let c = duration.components
        return ((Double(c.seconds) * 1000 + Double(c.attoseconds) / 1e15) * 10).rounded() / 10
    }

    static func megabytes(_ bytes: Int) -> Double { (Double(bytes) / 1_048_576 * 100).rounded() / 100 }
}
