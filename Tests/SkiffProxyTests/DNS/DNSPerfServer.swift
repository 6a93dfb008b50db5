import Foundation
import NIOPosix
import SkiffAPI
@testable import SkiffProxy
import Testing

/// Not a test: with `SKIFF_DNS_PERF_PORT` set, serves 1,000 ClusterIP Services and 100 headless ones (5
/// endpoints each) on 127.0.0.1 for `SKIFF_DNS_PERF_SECONDS` (default 30) on one event loop, and writes a
/// dnsperf query file to `SKIFF_DNS_PERF_QUERIES`. Build with `-c release` and run
/// `dnsperf -s 127.0.0.1 -p PORT -d FILE -l 10` against it.
@Suite struct DNSPerfServer {
    static let environment = ProcessInfo.processInfo.environment

    @Test(.enabled(if: environment["SKIFF_DNS_PERF_PORT"] != nil))
    func serveForDnsperf() async throws {
        let port = Int(Self.environment["SKIFF_DNS_PERF_PORT"] ?? "") ?? 5353
        let seconds = Int(Self.environment["SKIFF_DNS_PERF_SECONDS"] ?? "") ?? 30
        var services: [core.v1.Service] = []
        var slices: [discovery.v1.EndpointSlice] = []
        var queries: [String] = []
        for index in 0..<1000 {
            let ip = "10.96.\(index / 256).\(index % 256)"
            services.append(DNSFixtures.service("svc-\(index)", "ns-\(index % 10)", clusterIP: ip, clusterIPs: [ip],
                                                ports: [core.v1.ServicePort(name: "http", port: 80, protocol: "TCP")]))
            queries.append("svc-\(index).ns-\(index % 10).svc.cluster.local A")
        }
        for index in 0..<100 {
            services.append(DNSFixtures.service("headless-\(index)", "ns-0", clusterIP: "None",
                                                ports: [core.v1.ServicePort(name: "http", port: 80)]))
            slices.append(DNSFixtures.slice("headless-\(index)", "ns-0",
                                            endpoints: (1...5).map { DNSFixtures.endpoint("10.200.\(index).\($0)") },
                                            ports: [discovery.v1.EndpointPort(name: "http", port: 8080)]))
            queries.append("headless-\(index).ns-0.svc.cluster.local A")
            queries.append("_http._tcp.headless-\(index).ns-0.svc.cluster.local SRV")
            queries.append("nope-\(index).ns-0.svc.cluster.local A")
        }
        let started = ContinuousClock.now
        let records = try ClusterDNSRecords(services: services, endpointSlices: slices)
        print("snapshot of \(services.count) Services built in \(ContinuousClock.now - started)")
        if let path = Self.environment["SKIFF_DNS_PERF_QUERIES"] {
            try queries.joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = DNSServer(configuration: .init(host: "127.0.0.1", port: port),
                               resolver: ClusterDNSResolver(records: ClusterDNSRecordsHolder(records)),
                               forwarder: nil, group: group)
        try await server.start()
        try await Task.sleep(for: .seconds(seconds))
        await server.stop()
        try await group.shutdownGracefully()
    }
}
