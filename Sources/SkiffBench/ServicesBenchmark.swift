import Foundation
import NIOCore
import NIOPosix
public import SkiffAPI
import SkiffHost
import SkiffProxy

#if canImport(Glibc)
    import Glibc
#endif

/// `skiff bench services`: the proxy's and the cluster DNS's costs. Programming: N Services of M endpoints
/// into a table of the bench's own (addresses in 198.18.0.0/15, the benchmarking range, so no real Service
/// is touched), from nothing; then single endpoint changes, each timed until `nft` has applied it; the memory
/// the objects, the ruleset and the DNS records add; and DNS queries per second and latency with Debian's
/// `dnsperf` against the cluster DNS on one event-loop thread, beside dnsmasq serving the same names.
public enum ServicesBenchmark {
    public struct Options: Sendable {
        public var services = 1_000
        public var endpointsPerService = 10
        public var changes = 200
        public var dnsSeconds = 10
        /// The fixed rate of the latency run (the issue's target load).
        public var dnsRate = 20_000

        public init() {}
    }

    static let table = "skiff-bench"

    public static func run(_ options: Options, report: (JSONValue) -> Void) async throws {
        guard let nftables = NFTables.installed() else { throw BenchError("skiff bench services needs nft (the nftables package)") }
        guard getuid() == 0 else { throw BenchError("skiff bench services needs root to program nftables") }
        let network = ProxyNetwork(table: table, serviceCIDR: "198.18.0.0/16", clusterCIDR: "198.19.0.0/16", serviceDevice: "skiff-bench")
        defer { try? ServiceProxy.cleanup(network, nftables: nftables) }
        let before = residentMB()
        let (services, slices) = objects(options)
        var ports = ServicePortInfo.build(services: services, slices: slices)

        // From nothing to every Service programmed: build, render, and one nft transaction.
        var programmer = ProxyProgrammer(network: network, nftables: nftables)
        try ServiceRoute(device: network.serviceDevice, cidr: network.serviceCIDR).install()
        let started = ContinuousClock.now
        let first = try await programmer.apply(ServicePortInfo.build(services: services, slices: slices))
        let programmed = ContinuousClock.now - started
        report(["bench": "services.program", "services": .int(Int64(options.services)),
                "endpoints": .int(Int64(options.services * options.endpointsPerService)),
                "seconds": .double(programmed.seconds), "compute_s": .double(first.computed.seconds), "script_kb": .int(Int64(first.scriptBytes / 1024)), "target_s": 1])

        // One endpoint at a time goes unready or comes back: the time until the kernel has it.
        var latencies: [Double] = []
        var computing: [Double] = []
        var largest = 0
        for change in 0..<options.changes {
            let service = (change * 7919) % ports.count
            let endpoint = change % options.endpointsPerService
            ports[service].endpoints[endpoint].ready.toggle()
            let begin = ContinuousClock.now
            let outcome = try await programmer.apply(ports)
            latencies.append((ContinuousClock.now - begin).seconds * 1000)
            computing.append(outcome.computed.seconds * 1000)
            largest = max(largest, outcome.scriptBytes)
        }
        latencies.sort()
        computing.sort()
        report(["bench": "services.endpoint_change", "changes": .int(Int64(options.changes)),
                "p50_ms": .double(percentile(latencies, 0.5)), "p99_ms": .double(percentile(latencies, 0.99)),
                "compute_p50_ms": .double(percentile(computing, 0.5)), "max_script_bytes": .int(Int64(largest)),
                "target_p99_ms": 50])

        let records = try ClusterDNSRecords(services: services, endpointSlices: slices,
                                            namespaces: (0..<10).map { "ns-\($0)" }, nameserverAddresses: ["198.18.0.10"])
        report(["bench": "services.memory", "services": .int(Int64(options.services)),
                "added_mb": .double(residentMB() - before), "target_mb": 30])
        try await dns(options, records: records, services: services, report: report)
    }

    /// Services `svc-i` in `ns-(i % 10)` with endpoint slices of `endpointsPerService` ready pods each.
    static func objects(_ options: Options) -> ([core.v1.Service], [discovery.v1.EndpointSlice]) {
        var services: [core.v1.Service] = []
        var slices: [discovery.v1.EndpointSlice] = []
        for index in 0..<options.services {
            let namespace = "ns-\(index % 10)", name = "svc-\(index)"
            let ip = "198.18.\(index / 250).\(index % 250 + 1)"
            services.append(core.v1.Service(
                metadata: meta.v1.ObjectMeta(name: name, namespace: namespace, uid: "uid-\(index)"),
                spec: core.v1.ServiceSpec(clusterIP: ip, clusterIPs: [ip], ports: [.init(name: "http", port: 80, protocol: "TCP",
                                                                                      targetPort: .int(8080))],
                                          selector: ["app": name])))
            let endpoints = (0..<options.endpointsPerService).map { endpoint in
                let address = index * options.endpointsPerService + endpoint
                return discovery.v1.Endpoint(addresses: ["198.19.\(address / 250).\(address % 250 + 1)"],
                                             conditions: .init(ready: true, serving: true, terminating: false),
                                             nodeName: "node-\(endpoint % 3)")
            }
            slices.append(discovery.v1.EndpointSlice(
                addressType: "IPv4", endpoints: endpoints,
                metadata: meta.v1.ObjectMeta(labels: ["kubernetes.io/service-name": name], name: "\(name)-x", namespace: namespace),
                ports: [.init(name: "http", port: 8080, protocol: "TCP")]))
        }
        return (services, slices)
    }

    /// dnsperf against the cluster DNS, then against dnsmasq serving the same A records from a hosts file.
    static func dns(_ options: Options, records: ClusterDNSRecords, services: [core.v1.Service],
                    report: (JSONValue) -> Void) async throws {
        guard let dnsperf = ["/usr/bin/dnsperf", "/usr/local/bin/dnsperf"].first(where: FileManager.default.isExecutableFile(atPath:))
        else {
            report(["bench": "services.dns", "skipped": "dnsperf is not installed (apt-get install dnsperf)"])
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-bench-dns-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let names = services.map { "\($0.metadata?.name ?? "").\($0.metadata?.namespace ?? "").svc.cluster.local" }
        let queries = directory.appendingPathComponent("queries.txt")
        try Data(names.map { "\($0) A" }.joined(separator: "\n").utf8).write(to: queries)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = DNSServer(configuration: .init(host: "127.0.0.1", port: 0),
                               resolver: ClusterDNSResolver(records: ClusterDNSRecordsHolder(records)), forwarder: nil, group: group)
        let port = try await server.start()
        report(measure(dnsperf, server: "skiff", port: port, queries: queries.path, options: options))
        await server.stop()
        try? await group.shutdownGracefully()

        guard let dnsmasq = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            report(["bench": "services.dns.reference", "skipped": "dnsmasq is not installed (apt-get install dnsmasq-base)"])
            return
        }
        let hosts = directory.appendingPathComponent("hosts")
        try Data(zip(services, names).map { "\($0.0.spec?.clusterIP ?? "") \($0.1)" }.joined(separator: "\n").utf8).write(to: hosts)
        let referencePort = port + 1
        let spawned = ChildProcess.spawn(path: dnsmasq, argv: [dnsmasq, "--keep-in-foreground", "--no-resolv", "--no-hosts",
                                                              "--listen-address=127.0.0.1", "--bind-interfaces",
                                                              "--port=\(referencePort)", "--addn-hosts=\(hosts.path)",
                                                              "--cache-size=10000", "--user=root", "--pid-file="],
                                         environment: ProcessInfo.processInfo.environment, newSession: true) { _ in }
        guard case .success(let pid) = spawned else {
            report(["bench": "services.dns.reference", "skipped": "dnsmasq could not start"])
            return
        }
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        try await Task.sleep(for: .milliseconds(500))
        var reference = measure(dnsperf, server: "dnsmasq", port: referencePort, queries: queries.path, options: options)
        reference["bench"] = "services.dns.reference"
        report(reference)
    }

    /// Two dnsperf runs: as fast as the server answers, then at `dnsRate` with every latency kept for p99.
    static func measure(_ dnsperf: String, server: String, port: Int, queries: String, options: Options) -> JSONValue {
        let common = ["-s", "127.0.0.1", "-p", "\(port)", "-d", queries, "-l", "\(options.dnsSeconds)"]
        let saturated = (try? HostCommand.run(dnsperf, common + ["-c", "4", "-q", "200"]))
            .map { String(decoding: $0.stdout, as: UTF8.self) } ?? ""
        let paced = (try? HostCommand.run(dnsperf, common + ["-Q", "\(options.dnsRate)", "-v"]))
            .map { String(decoding: $0.stdout, as: UTF8.self) } ?? ""
        var latencies = paced.split(separator: "\n").compactMap { line -> Double? in
            // "> NOERROR name A 0.000123"
            guard line.hasPrefix(">"), let last = line.split(separator: " ").last else { return nil }
            return Double(last).map { $0 * 1000 }
        }
        latencies.sort()
        return ["bench": "services.dns", "server": .string(server), "qps": .double(value(after: "Queries per second:", in: saturated)),
                "lost": .string(line(containing: "Queries lost:", in: saturated)),
                "paced_qps": .double(value(after: "Queries per second:", in: paced)),
                "p50_ms": .double(percentile(latencies, 0.5)), "p99_ms": .double(percentile(latencies, 0.99)),
                "target_qps": .int(Int64(options.dnsRate)), "target_p99_ms": 2]
    }

    static func value(after label: String, in text: String) -> Double {
        let found = line(containing: label, in: text)
        return Double(found.replacingOccurrences(of: label, with: "").trimmingCharacters(in: .whitespaces)
            .split(separator: " ").first ?? "") ?? 0
    }

    static func line(containing label: String, in text: String) -> String {
        text.split(separator: "\n").first { $0.contains(label) }.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    }

    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let value = sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
        return (value * 1000).rounded() / 1000
    }

    static func residentMB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return (kb / 1024 * 10).rounded() / 10
    }
}

extension Duration {
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
