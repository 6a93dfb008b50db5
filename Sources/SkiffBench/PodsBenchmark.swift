import Foundation
public import SkiffAPI
import SkiffClient

/// `skiff bench pods`: a Deployment of many replicas on many simulated nodes, timed from the create until
/// every replica is available (scheduled, bound, Running and Ready), with the whole server's memory after.
/// Everything runs in one `skiff server` process: API server, controllers, scheduler and the nodes.
public enum PodsBenchmark {
    public struct Options: Sendable {
        public var binary: String
        public var replicas: Int = 10_000
        public var nodes: Int = 1_000
        public var timeoutSeconds: Double = 300

        public init(binary: String) { self.binary = binary }
    }

    public static func run(_ options: Options, emit: @Sendable (JSONValue) -> Void) async throws {
        // Only the simulated nodes: a local node (runc as root, process otherwise) would get its share of the
        // replicas and, without their image, never run them (9,991 of 10,000 at the time limit).
        let server = try await ServerProcess(binary: options.binary, command: "server",
                                             arguments: ["--runtime", "none", "--simulated-nodes", String(options.nodes)])
        defer { server.stop() }
        let target = server.target
        let client = try RESTClient(config: ClientConfig(server: "https://127.0.0.1:\(target.port)",
                                                         certificateAuthorityPEM: target.caPEM, bearerToken: target.token))
        defer { Task { try? await client.shutdown() } }
        // The nodes register first: the measurement is of the workload, not of start-up.
        let nodesStart = ContinuousClock.now
        while true {
            let ready = try await client.json(.GET, "/api/v1/nodes")["items"]?.arrayValue?.count ?? 0
            if ready >= options.nodes { break }
            guard ContinuousClock.now - nodesStart < .seconds(options.timeoutSeconds) else {
                throw BenchError("only \(ready) of \(options.nodes) nodes registered")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        emit(["bench": "pods.nodes", "nodes": .int(Int64(options.nodes)),
              "registered_s": .double(seconds(ContinuousClock.now - nodesStart)),
              "rss_mb": .double((Double(server.residentBytes) / 1_048_576 * 10).rounded() / 10)])

        _ = try await client.json(.POST, "/api/v1/namespaces", body: ["metadata": ["name": "bench"]])
        let start = ContinuousClock.now
        _ = try await client.json(.POST, "/apis/apps/v1/namespaces/bench/deployments", body: [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "bench"],
            "spec": [
                "replicas": .int(Int64(options.replicas)),
                "selector": ["matchLabels": ["app": "bench"]],
                "template": ["metadata": ["labels": ["app": "bench"]],
                             "spec": ["containers": [["name": "c", "image": "busybox",
                                                      "resources": ["requests": ["cpu": "10m", "memory": "16Mi"]]]]]],
            ],
        ])
        var available = 0
        while available < options.replicas {
            guard ContinuousClock.now - start < .seconds(options.timeoutSeconds) else { break }
            try await Task.sleep(for: .milliseconds(250))
            let deployment = try await client.json(.GET, "/apis/apps/v1/namespaces/bench/deployments/bench")
            available = Int(deployment["status"]?["availableReplicas"]?.intValue ?? 0)
        }
        let elapsed = seconds(ContinuousClock.now - start)
        emit(["bench": "pods.deployment", "replicas": .int(Int64(options.replicas)), "nodes": .int(Int64(options.nodes)),
              "available": .int(Int64(available)), "all_running_s": .double(elapsed),
              "rss_mb": .double((Double(server.residentBytes) / 1_048_576 * 10).rounded() / 10),
              "target_s": 30, "target_rss_mb": 600])
    }

    static func seconds(_ duration: Duration) -> Double {
        let c = duration.components
        return ((Double(c.seconds) + Double(c.attoseconds) / 1e18) * 1000).rounded() / 1000
    }
}
