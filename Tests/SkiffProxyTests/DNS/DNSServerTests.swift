import Foundation
import NIOCore
import NIOPosix
@testable import SkiffProxy
import Testing

/// The server over real sockets on 127.0.0.1: UDP, TCP, truncation, forwarding to a fake upstream (another
/// `DNSServer` serving its own zone on loopback), upstream silence, malformed input and shutdown.
@Suite(.serialized) struct DNSServerTests {
    static func server(records: ClusterDNSRecords?, zone: String = "cluster.local",
                       forwarder: DNSForwarder? = nil) async throws -> (DNSServer, Int) {
        let resolver = ClusterDNSResolver(records: ClusterDNSRecordsHolder(records), clusterDomain: zone)
        let server = DNSServer(configuration: .init(host: "127.0.0.1", port: 0), resolver: resolver,
                               forwarder: forwarder)
        return (server, try await server.start())
    }

    /// An upstream resolver for the zone `upstream.test`: `www.x.svc` has one address, `big.x.svc` 100.
    static func upstream() async throws -> (DNSServer, Int) {
        let services = [DNSFixtures.service("www", "x", clusterIP: "192.0.2.1", clusterIPs: ["192.0.2.1"]),
                        DNSFixtures.service("big", "x", clusterIP: "None")]
        let slice = DNSFixtures.slice("big", "x", endpoints: (1...100).map { DNSFixtures.endpoint("198.51.100.\($0)") })
        let records = try ClusterDNSRecords(services: services, endpointSlices: [slice], clusterDomain: "upstream.test")
        return try await server(records: records, zone: "upstream.test")
    }

    static func forwarder(to port: Int, timeout: TimeAmount = .seconds(2)) throws -> DNSForwarder {
        DNSForwarder(upstreams: [try SocketAddress(ipAddress: "127.0.0.1", port: port)], timeout: timeout)
    }

    @Test func answersOverUDPAndTCP() async throws {
        let (server, port) = try await Self.server(records: try DNSFixtures.records())
        defer { Task { await server.stop() } }
        #expect(server.port == port)
        let query = try DNSFixtures.query("web.default.svc.cluster.local", .a, id: 77)
        let udp = try DNSMessage(parsing: try DNSTestClient.udp(query.encoded(), port: port))
        #expect(udp.header.id == 77 && udp.answerData == [v4("10.96.0.10")])

        // Several queries on one connection, each answered in its own frame.
        let queries = try [("web", DNSRecordType.a), ("db", .a), ("nope", .a)].enumerated().map {
            try DNSFixtures.query("\($1.0).default.svc.cluster.local", $1.1, id: UInt16($0)).encoded()
        }
        let responses = try DNSTestClient.tcp(queries, port: port).map { try DNSMessage(parsing: $0) }
        #expect(responses.map(\.header.id).sorted() == [0, 1, 2])
        let byID = Dictionary(uniqueKeysWithValues: responses.map { ($0.header.id, $0) })
        #expect(byID[0]?.answerData == [v4("10.96.0.10")])
        #expect(byID[1]?.answers.count == 3)
        #expect(byID[2]?.responseCode == .nameError)
    }

    @Test func bigAnswersAreTruncatedOverUDPAndWholeOverTCP() async throws {
        let (upstream, port) = try await Self.upstream()
        defer { Task { await upstream.stop() } }
        let plain = try DNSFixtures.query("big.x.svc.upstream.test", .a, edns: false)
        let udpBytes = try DNSTestClient.udp(plain.encoded(), port: port)
        let udp = try DNSMessage(parsing: udpBytes)
        #expect(udpBytes.count <= 512 && udp.header.isTruncated && udp.answers.count < 100)
        let withEDNS = try DNSFixtures.query("big.x.svc.upstream.test", .a)
        let ednsBytes = try DNSTestClient.udp(withEDNS.encoded(), port: port)
        #expect(ednsBytes.count <= 1232 && ednsBytes.count > 512)
        let tcp = try DNSMessage(parsing: try DNSTestClient.tcp([plain.encoded()], port: port)[0])
        #expect(!tcp.header.isTruncated && tcp.answers.count == 100)
    }

    @Test func forwardsOtherNamesAndRetriesTruncatedAnswersOverTCP() async throws {
        let (upstream, upstreamPort) = try await Self.upstream()
        defer { Task { await upstream.stop() } }
        let (server, port) = try await Self.server(records: try DNSFixtures.records(),
                                                   forwarder: try Self.forwarder(to: upstreamPort))
        defer { Task { await server.stop() } }
        let query = try DNSFixtures.query("www.x.svc.upstream.test", .a, id: 4242)
        let answer = try DNSMessage(parsing: try DNSTestClient.udp(query.encoded(), port: port))
        #expect(answer.header.id == 4242 && answer.answerData == [v4("192.0.2.1")])

        // The upstream truncates over UDP; the forwarder fetches the whole answer over TCP and hands it on whole
        // to a TCP client, cut again to fit a UDP client that sent no EDNS.
        let big = try DNSFixtures.query("big.x.svc.upstream.test", .a, id: 9, edns: false)
        let overTCP = try DNSMessage(parsing: try DNSTestClient.tcp([big.encoded()], port: port)[0])
        #expect(overTCP.header.id == 9 && overTCP.answers.count == 100 && !overTCP.header.isTruncated)
        let overUDP = try DNSTestClient.udp(big.encoded(), port: port)
        #expect(overUDP.count <= 512)
        #expect(try DNSMessage(parsing: overUDP).header.isTruncated)
    }

    @Test func externalNamesLeadingOutOfTheClusterAreChased() async throws {
        let (upstream, upstreamPort) = try await Self.upstream()
        defer { Task { await upstream.stop() } }
        let alias = DNSFixtures.service("alias", type: "ExternalName", externalName: "www.x.svc.upstream.test")
        let records = try ClusterDNSRecords(services: [alias], endpointSlices: [])
        let (server, port) = try await Self.server(records: records, forwarder: try Self.forwarder(to: upstreamPort))
        defer { Task { await server.stop() } }
        let query = try DNSFixtures.query("alias.default.svc.cluster.local", .a, id: 5)
        let answer = try DNSMessage(parsing: try DNSTestClient.udp(query.encoded(), port: port))
        #expect(answer.header.id == 5 && answer.responseCode == .noError)
        #expect(answer.answerData == [.cname(name("www.x.svc.upstream.test")), v4("192.0.2.1")])
    }

    @Test func silentUpstreamMeansSERVFAIL() async throws {
        // A bound UDP socket nobody reads: queries vanish without an ICMP error.
        let silent = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        let silentPort = try #require(silent.localAddress?.port)
        let forwarder = try Self.forwarder(to: silentPort, timeout: .milliseconds(200))
        let (server, port) = try await Self.server(records: nil, forwarder: forwarder)
        defer { Task { await server.stop() } }
        let started = ContinuousClock.now
        let response = try DNSMessage(parsing: try DNSTestClient.udp(try DNSFixtures.query("example.com", .a).encoded(),
                                                                       port: port))
        #expect(response.responseCode == .serverFailure)
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    @Test func malformedQueriesGetFORMERRorNothing() async throws {
        let (server, port) = try await Self.server(records: try DNSFixtures.records())
        defer { Task { await server.stop() } }
        // A readable header over a broken question: FORMERR with the same id.
        let broken: [UInt8] = [0xAB, 0xCD, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1]
        let response = try DNSTestClient.udp(broken, port: port)
        #expect(response.count == 12 && response[0] == 0xAB && response[1] == 0xCD && response[3] & 0xF == 1)
        // Too short for a header: dropped; the server still answers the next query.
        _ = try? DNSTestClient.udpSendOnly([1, 2, 3], port: port)
        let query = try DNSFixtures.query("web.default.svc.cluster.local", .a)
        let fine = try DNSTestClient.udp(query.encoded(), port: port)
        #expect(try DNSMessage(parsing: fine).answerData == [v4("10.96.0.10")])
    }

    @Test func runReturnsOnCancellationAndClosesTheSockets() async throws {
        let resolver = ClusterDNSResolver(records: ClusterDNSRecordsHolder(try DNSFixtures.records()))
        let server = DNSServer(configuration: .init(host: "127.0.0.1", port: 0), resolver: resolver, forwarder: nil)
        let task = Task { try await server.run() }
        var port: Int?
        for _ in 0..<200 where port == nil {
            try await Task.sleep(for: .milliseconds(10))
            port = server.port
        }
        let bound = try #require(port)
        let answer = try DNSTestClient.udp(try DNSFixtures.query("web.default.svc.cluster.local", .a).encoded(),
                                           port: bound)
        #expect(try DNSMessage(parsing: answer).answerData == [v4("10.96.0.10")])
        task.cancel()
        try await task.value
        #expect(server.port == nil)
        #expect(throws: (any Error).self) { try DNSTestClient.tcp([answer], port: bound) }
    }

    @Test func busyboxNslookupGetsAnswers() async throws {
        let busybox = "/bin/busybox"
        guard FileManager.default.isExecutableFile(atPath: busybox) else { return }
        let (server, port) = try await Self.server(records: try DNSFixtures.records())
        defer { Task { await server.stop() } }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: busybox)
        process.arguments = ["nslookup", "web.default.svc.cluster.local", "127.0.0.1:\(port)"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.contains("10.96.0.10"), "busybox nslookup said: \(text)")
    }
}
