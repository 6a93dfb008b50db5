import Foundation
import NIOCore
import NIOHTTP1
public import SkiffAPI

/// `skiff bench api`: start-up, idle memory, create throughput and latency with 32 connections, a full
/// list of every object, memory after the load, and watch fan-out latency — against a server started
/// as a child process, measured as issue 2 defines the targets.
public enum APIBenchmark {
    public struct Options: Sendable {
        public var binary: String
        public var datastore: String = "sqlite"
        public var objects: Int = 40_000
        public var connections: Int = 32
        public var watchers: Int = 1_000
        public var watchEvents: Int = 100
        /// `apiserver` (the API server alone, as the upstream comparison ran kube-apiserver with etcd) or
        /// `server` (every component in one process).
        public var command: String = "apiserver"

        public init(binary: String) { self.binary = binary }
    }

    /// Runs everything; calls `emit` with one JSON result per measurement as soon as it is known.
    public static func run(_ options: Options, emit: @Sendable (JSONValue) -> Void) async throws {
        let server = try await ServerProcess(binary: options.binary, command: options.command, datastore: options.datastore)
        defer { server.stop() }
        let target = server.target
        try await Task.sleep(for: .seconds(2))
        emit(["bench": "api.startup", "command": .string(options.command), "datastore": .string(options.datastore), "ready_s": .double(round3(server.readySeconds)),
              "idle_rss_mb": .double(round1(Double(server.residentBytes) / 1_048_576)),
              "target_ready_s": 0.5, "target_idle_rss_mb": 40])

        for namespace in ["bench", "bench-watch"] {
            let body: JSONValue = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]]
            _ = try await LoadClient.run(target: target, connections: 1, total: 1) { _ in
                let bytes = body.serialized()
                return (target.head(.POST, "/api/v1/namespaces", contentLength: bytes.count), ByteBufferAllocator().buffer(bytes: bytes))
            }
        }

        // Creates: small ConfigMaps with generated names, closed loop on N connections (as `wrk -c32` does).
        let payload: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap",
                                  "metadata": ["generateName": "bench-", "labels": ["app": "bench"]],
                                  "data": ["key": "value", "other": "a small configuration value"]]
        let bytes = payload.serialized()
        let create = try await LoadClient.run(target: target, connections: options.connections, total: options.objects) { _ in
            (target.head(.POST, "/api/v1/namespaces/bench/configmaps", contentLength: bytes.count),
             ByteBufferAllocator().buffer(bytes: bytes))
        }
        let created = create.statusCounts[201] ?? 0
        emit(["bench": "api.create", "objects": .int(Int64(options.objects)), "connections": .int(Int64(options.connections)),
              "created": .int(Int64(created)), "errors": .int(Int64(options.objects - created)),
              "creates_per_s": .double(round1(create.requestsPerSecond)),
              "p50_ms": .double(round3(create.percentileMilliseconds(0.5))), "p99_ms": .double(round3(create.percentileMilliseconds(0.99))),
              "target_creates_per_s": 6000, "target_p99_ms": 20])

        try await Task.sleep(for: .seconds(1))
        emit(["bench": "api.memory", "objects": .int(Int64(created)),
              "rss_mb": .double(round1(Double(server.residentBytes) / 1_048_576)), "target_rss_mb": 250])

        // Full lists of every object: the first request on a connection pays the handshake, so take the rest.
        for (label, query) in [("api.list", ""), ("api.list.rv0", "?resourceVersion=0")] {
            let list = try await LoadClient.run(target: target, connections: 1, total: 4) { _ in
                (target.head(.GET, "/api/v1/namespaces/bench/configmaps\(query)"), nil)
            }
            let steady = Array(list.latenciesNanoseconds.dropFirst()).sorted()
            emit(["bench": .string(label), "objects": .int(Int64(created)),
                  "best_s": .double(round3(Double(steady.first ?? 0) / 1e9)),
                  "median_s": .double(round3(Double(steady[steady.count / 2]) / 1e9)), "target_s": 0.25])
        }

        try await watchFanout(options, target: target, emit: emit)
    }

    static func watchFanout(_ options: Options, target: BenchTarget, emit: @Sendable (JSONValue) -> Void) async throws {
        let fanout = WatchFanout()
        try await fanout.start(target: target, path: "/api/v1/namespaces/bench-watch/configmaps", resourceVersion: "0",
                               count: options.watchers)
        let events = options.watchEvents
        // Paced creates (20 ms apart) so each event's delivery is measured on its own, not behind a queue.
        for i in 0..<events {
            let sent = DispatchTime.now().uptimeNanoseconds
            let body: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string("w-\(i)")],
                                   "data": ["sent": .string(String(sent))]]
            let bytes = body.serialized()
            _ = try await LoadClient.run(target: target, connections: 1, total: 1) { _ in
                (target.head(.POST, "/api/v1/namespaces/bench-watch/configmaps", contentLength: bytes.count),
                 ByteBufferAllocator().buffer(bytes: bytes))
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let expected = events * options.watchers
        let deadline = ContinuousClock.now + .seconds(30)
        while fanout.deliveries < expected && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let latencies = fanout.state.withLockedValue { $0.latencies }.sorted()
        func ms(_ q: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            return Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))]) / 1e6
        }
        emit(["bench": "api.watch", "watchers": .int(Int64(options.watchers)), "events": .int(Int64(events)),
              "deliveries": .int(Int64(latencies.count)), "missing": .int(Int64(expected - latencies.count)),
              "p50_ms": .double(round3(ms(0.5))), "p99_ms": .double(round3(ms(0.99))), "target_p99_ms": 100])
        await fanout.stop()
    }

    static func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }
    static func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
