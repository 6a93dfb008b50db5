import ArgumentParser
import Foundation
import SkiffAPI
import SkiffBench
import SkiffScheduler

/// `skiff bench`: benchmarks that print one JSON object per result.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Run a benchmark and print its results as JSON lines.",
        subcommands: [APIBench.self, SchedulerBench.self, PodsBench.self, InformerBench.self, ServicesBench.self])

    /// Writes one result line at once, so a reader sees whole lines as they come. A reader that went away
    /// (`| head -1`) must not kill the benchmark before it stops the server it started.
    static func emit(_ result: JSONValue) {
        signal(SIGPIPE, SIG_IGN)
        try? FileHandle.standardOutput.write(contentsOf: Data((result.jsonString + "\n").utf8))
    }

    /// The path of this very binary (the benchmarks start it as the server under test).
    static var ownBinary: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// `skiff bench api`.
struct APIBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "API server: start-up, idle memory, create rate and p99, full list, memory, watch fan-out.")

    @Option(help: "The store of the server under test: sqlite or memory.")
    var datastore: String = "sqlite"
    @Option(help: "ConfigMaps to create.")
    var objects: Int = 40_000
    @Option(help: "Concurrent connections creating them.")
    var connections: Int = 32
    @Option(help: "Concurrent watchers for the fan-out measurement.")
    var watchers: Int = 1_000
    @Option(help: "Events each watcher must receive.")
    var watchEvents: Int = 100

    @Option(help: "What to start: apiserver (the API server alone, as upstream's figures) or server (every component).")
    var component: String = "apiserver"

    func validate() throws {
        guard ["sqlite", "memory"].contains(datastore) else { throw ValidationError("--datastore must be sqlite or memory") }
        guard ["apiserver", "server"].contains(component) else {
            throw ValidationError("--component must be apiserver or server (got \"\(component)\")")
        }
        guard objects > 0, connections > 0, watchers >= 0, watchEvents > 0 else {
            throw ValidationError("counts must be positive")
        }
    }

    func run() async throws {
        var options = APIBenchmark.Options(binary: BenchCommand.ownBinary)
        options.datastore = datastore
        options.objects = objects
        options.connections = connections
        options.watchers = watchers
        options.watchEvents = watchEvents
        options.command = component
        try await APIBenchmark.run(options) { result in
            BenchCommand.emit(result)
        }
    }
}

/// `skiff bench scheduler`: the scheduling cycle (queue, filters, scores, assume) in memory, as upstream's
/// `scheduler_perf` measures it; binding through the API server is not included.
struct SchedulerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler", abstract: "Scheduler: pods placed per second on many nodes, in memory.")

    @Option(help: "Pods to place.")
    var pods: Int = 10_000

    @Option(help: "Nodes (32 CPU, 256Gi, 110 pods each).")
    var nodes: Int = 5_000

    func validate() throws {
        guard pods > 0, nodes > 0 else { throw ValidationError("--pods and --nodes must be positive") }
    }

    func run() throws {
        let result = SchedulerBenchmark.run(pods: pods, nodes: nodes)
        let line: JSONValue = ["bench": "scheduler", "pods": .int(Int64(pods)), "nodes": .int(Int64(nodes)),
                               "scheduled": .int(Int64(result.scheduled)),
                               "seconds": .double((result.seconds * 1000).rounded() / 1000),
                               "pods_per_s": .double(result.podsPerSecond.rounded()), "target_pods_per_s": 2000]
        print(line.jsonString)
    }
}

/// `skiff bench pods`: a Deployment on simulated nodes, until every replica is available; or, with a real
/// runtime, pods on the server's own node: start-up latency, memory per idle pod and idle CPU.
struct PodsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pods",
        abstract: "Whole cluster: a Deployment on simulated nodes (time until all replicas run, memory), or real containers "
            + "with --runtime runc|process (start-up p50/p99, memory per idle pod, idle CPU).")

    @Option(help: "Replicas of the Deployment (simulated), or pods created at once (runc, process; default 30).")
    var replicas: Int?

    @Option(help: "Simulated nodes.")
    var nodes: Int = 1_000

    @Option(help: "Runtime of the nodes: simulated, runc or process.")
    var runtime: String = "simulated"

    @Option(help: "With --runtime runc: the program that runs containers, runc or crun (default: the server's choice).")
    var ociRuntime: String?

    func validate() throws {
        guard (replicas ?? 1) > 0, nodes > 0 else { throw ValidationError("--replicas and --nodes must be positive") }
        guard ["simulated", "runc", "process"].contains(runtime) else {
            throw ValidationError("--runtime must be one of simulated, runc, process (got \"\(runtime)\")")
        }
        if let ociRuntime, !["runc", "crun"].contains(ociRuntime) {
            throw ValidationError("--oci-runtime must be runc or crun (got \"\(ociRuntime)\")")
        }
    }

    func run() async throws {
        let emit: @Sendable (JSONValue) -> Void = { BenchCommand.emit($0) }
        if runtime != "simulated" {
            var options = ContainerStartupBenchmark.Options(binary: BenchCommand.ownBinary, runtime: runtime)
            options.pods = replicas ?? 30
            options.ociRuntime = ociRuntime
            try await ContainerStartupBenchmark.run(options, emit: emit)
            return
        }
        var options = PodsBenchmark.Options(binary: BenchCommand.ownBinary)
        options.replicas = replicas ?? 10_000
        options.nodes = nodes
        try await PodsBenchmark.run(options, emit: emit)
    }
}

/// `skiff bench informer`: watch events through an informer to its handlers, in memory; once for the
/// machinery alone, once with each event parsed from JSON first, once decoded into the typed `core.v1.Pod`.
struct InformerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "informer", abstract: "Client machinery: watch events per second through an informer to its handlers.")

    @Option(help: "Objects in the informer's cache (pods).")
    var objects: Int = 10_000

    @Option(help: "Watch events to deliver (MODIFIED, spread over the objects).")
    var events: Int = 200_000

    @Option(help: "Subscribers (event handlers), each receiving every event.")
    var handlers: Int = 3

    func validate() throws {
        guard objects > 0, events > 0, handlers > 0 else { throw ValidationError("--objects, --events and --handlers must be positive") }
    }

    func run() async throws {
        // The machinery alone (the target), then with each event parsed into JSONValue, then into the typed model.
        for (decode, typed) in [(false, false), (true, false), (true, true)] {
            var options = InformerBenchmark.Options()
            options.objects = objects
            options.events = events
            options.handlers = handlers
            options.decode = decode
            options.typed = typed
            let result = try await InformerBenchmark.run(options)
            var line: JSONValue = ["bench": typed ? "informer.decode.typed" : decode ? "informer.decode" : "informer",
                                   "objects": .int(Int64(objects)),
                                   "events": .int(Int64(result.events)), "handlers": .int(Int64(handlers)),
                                   "handler_calls": .int(Int64(result.delivered)),
                                   "seconds": .double((result.seconds * 1000).rounded() / 1000),
                                   "events_per_s": .double(result.eventsPerSecond.rounded())]
            if !decode { line["target_events_per_s"] = 50000 }
            if typed { line["target_events_per_s"] = 60000 }
            print(line.jsonString)
        }
    }
}

/// `skiff bench services`: the proxy's programming time and change latency, the memory Services add, and the
/// cluster DNS under dnsperf beside dnsmasq. Needs root and nft; dnsperf and dnsmasq for the DNS part.
struct ServicesBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "services",
        abstract: "Services: nftables programming time and endpoint-change latency, memory, DNS queries per second.")

    @Option(help: "Services to program.")
    var services: Int = 1_000

    @Option(help: "Ready endpoints per Service.")
    var endpoints: Int = 10

    @Option(help: "Single endpoint changes to time.")
    var changes: Int = 200

    @Option(help: "Seconds per dnsperf run.")
    var dnsSeconds: Int = 10

    func validate() throws {
        guard (1...50_000).contains(services) else { throw ValidationError("--services must be between 1 and 50000") }
        guard (1...1_000).contains(endpoints) else { throw ValidationError("--endpoints must be between 1 and 1000") }
        guard changes >= 1, dnsSeconds >= 1 else { throw ValidationError("--changes and --dns-seconds must be positive") }
    }

    func run() async throws {
        var options = ServicesBenchmark.Options()
        options.services = services
        options.endpointsPerService = endpoints
        options.changes = changes
        options.dnsSeconds = dnsSeconds
        try await ServicesBenchmark.run(options) { print($0.jsonString) }
    }
}
