@testable import SkiffProxy
import Testing

/// The resolver answers from a snapshot of typed Services and EndpointSlices as CoreDNS's `kubernetes` plugin does.
@Suite struct ClusterDNSResolverTests {
    let resolver: ClusterDNSResolver

    init() throws {
        resolver = ClusterDNSResolver(records: ClusterDNSRecordsHolder(try DNSFixtures.records()))
    }

    func ask(_ name: String, _ type: DNSRecordType, using resolver: ClusterDNSResolver? = nil) throws -> DNSMessage {
        switch (resolver ?? self.resolver).resolve(try DNSFixtures.query(name, type)) {
        case .answer(let response), .chase(let response, _): return response
        case .forward: throw DNSTestClient.Failure(what: "\(name) \(type) was forwarded")
        }
    }

    func isForwarded(_ name: String, _ type: DNSRecordType) throws -> Bool {
        if case .forward = resolver.resolve(try DNSFixtures.query(name, type)) { return true }
        return false
    }

    /// NXDOMAIN or NODATA carry the zone's SOA, CoreDNS's fields.
    func expectNegative(_ response: DNSMessage, _ code: DNSResponseCode) {
        #expect(response.responseCode == code)
        #expect(response.answers.isEmpty)
        #expect(response.header.isAuthoritative)
        let soa = DNSSOA(primary: name("ns.dns.cluster.local"), mailbox: name("hostmaster.cluster.local"), serial: 42,
                         refresh: 7200, retry: 1800, expire: 86400, minimum: 5)
        #expect(response.authorities == [DNSResourceRecord(name: name("cluster.local"), ttl: 5, data: .soa(soa))])
    }

    @Test func clusterIPServiceAnswersItsAddress() throws {
        let response = try ask("web.default.svc.cluster.local", .a)
        #expect(response.responseCode == .noError)
        #expect(response.header.isAuthoritative && response.header.isResponse && response.header.recursionAvailable)
        #expect(response.header.id == 0x1234)
        #expect(response.answers == [DNSResourceRecord(name: name("web.default.svc.cluster.local"), ttl: 5,
                                                       data: v4("10.96.0.10"))])
        #expect(response.edns?.udpPayloadSize == ClusterDNSResolver.udpPayloadSize)
        expectNegative(try ask("web.default.svc.cluster.local", .aaaa), .noError)
        expectNegative(try ask("web.default.svc.cluster.local", .txt), .noError)
        #expect(try ask("WEB.Default.SVC.cluster.local", .a).answerData == [v4("10.96.0.10")])
    }

    @Test func dualStackServiceAnswersBothFamilies() throws {
        #expect(try ask("dual.default.svc.cluster.local", .a).answerData == [v4("10.96.0.20")])
        let v6 = try #require(DNSIPv6Address("fd00::20"))
        #expect(try ask("dual.default.svc.cluster.local", .aaaa).answerData == [.aaaa(v6)])
    }

    @Test func headlessServiceAnswersReadyEndpoints() throws {
        // 10.1.1.3 is not ready; 10.1.1.4 has no condition, which counts as ready.
        #expect(try ask("db.default.svc.cluster.local", .a).answerData
            == [v4("10.1.1.1"), v4("10.1.1.2"), v4("10.1.1.4")])
        #expect(try ask("db-0.db.default.svc.cluster.local", .a).answerData == [v4("10.1.1.1")])
        #expect(try ask("db-1.db.default.svc.cluster.local", .a).answerData == [v4("10.1.1.2")])
        #expect(try ask("10-1-1-4.db.default.svc.cluster.local", .a).answerData == [v4("10.1.1.4")])
        expectNegative(try ask("10-1-1-3.db.default.svc.cluster.local", .a), .nameError)
        // Endpoint names exist under ClusterIP Services too (CoreDNS), for ready endpoints only.
        #expect(try ask("10-1-0-1.web.default.svc.cluster.local", .a).answerData == [v4("10.1.0.1")])
        expectNegative(try ask("10-1-0-2.web.default.svc.cluster.local", .a), .nameError)
    }

    @Test func publishNotReadyAddressesPublishesEveryEndpoint() throws {
        #expect(try ask("warm.default.svc.cluster.local", .a).answerData == [v4("10.1.2.1")])
    }

    @Test func externalNameIsACNAME() throws {
        let response = try ask("ext.default.svc.cluster.local", .a)
        #expect(response.responseCode == .noError)
        #expect(response.answers == [DNSResourceRecord(name: name("ext.default.svc.cluster.local"), ttl: 5,
                                                       data: .cname(name("example.com")))])
        #expect(try ask("ext.default.svc.cluster.local", .cname).answerData == [.cname(name("example.com"))])
        #expect(try ask("ext.default.svc.cluster.local", .txt).answerData == [.cname(name("example.com"))])
        // Out of the cluster, address questions are chased upstream; inside it the chain is followed here.
        guard case .chase(let partial, let question) = resolver.resolve(
            try DNSFixtures.query("ext.default.svc.cluster.local", .aaaa)) else {
            Issue.record("an ExternalName out of the cluster is chased")
            return
        }
        #expect(partial.answerData == [.cname(name("example.com"))])
        #expect(question == DNSQuestion(name: name("example.com"), type: .aaaa))
        #expect(try ask("inner.default.svc.cluster.local", .a).answerData
            == [.cname(name("web.default.svc.cluster.local")), v4("10.96.0.10")])
    }

    @Test func srvForAClusterIPService() throws {
        let base = name("web.default.svc.cluster.local")
        let all = try ask("web.default.svc.cluster.local", .srv)
        #expect(all.answerData == [.srv(priority: 0, weight: 50, port: 80, target: base),
                                   .srv(priority: 0, weight: 50, port: 53, target: base)])
        #expect(all.additionals == [DNSResourceRecord(name: base, ttl: 5, data: v4("10.96.0.10"))])
        let http = try ask("_http._tcp.web.default.svc.cluster.local", .srv)
        #expect(http.answerData == [.srv(priority: 0, weight: 100, port: 80, target: base)])
        #expect(http.additionals.map(\.data) == [v4("10.96.0.10")])
        #expect(try ask("_dns._udp.web.default.svc.cluster.local", .srv).answerData
            == [.srv(priority: 0, weight: 100, port: 53, target: base)])
        // CoreDNS answers A at the SRV name with the Service's address.
        #expect(try ask("_http._tcp.web.default.svc.cluster.local", .a).answerData == [v4("10.96.0.10")])
        expectNegative(try ask("_dns._tcp.web.default.svc.cluster.local", .srv), .nameError)
    }

    @Test func srvForAHeadlessServiceNamesEachEndpoint() throws {
        let response = try ask("_pg._tcp.db.default.svc.cluster.local", .srv)
        let targets = ["db-0", "db-1", "10-1-1-4"].map { name("\($0).db.default.svc.cluster.local") }
        #expect(response.answerData == targets.map { .srv(priority: 0, weight: 33, port: 5432, target: $0) })
        #expect(response.additionals == zip(targets, ["10.1.1.1", "10.1.1.2", "10.1.1.4"]).map {
            DNSResourceRecord(name: $0, ttl: 5, data: v4($1))
        })
        #expect(try ask("db.default.svc.cluster.local", .srv).answers.count == 3)
        #expect(try ask("db-0.db.default.svc.cluster.local", .srv).answerData
            == [.srv(priority: 0, weight: 100, port: 5432, target: targets[0])])
    }

    @Test func podNamesAnswerTheAddressTheySpell() throws {
        #expect(try ask("10-244-1-5.default.pod.cluster.local", .a).answerData == [v4("10.244.1.5")])
        expectNegative(try ask("10-244-1-5.default.pod.cluster.local", .aaaa), .noError)
        let v6 = try #require(DNSIPv6Address("fd00::5"))
        #expect(try ask("fd00--5.default.pod.cluster.local", .aaaa).answerData == [.aaaa(v6)])
        expectNegative(try ask("not-an-ip.default.pod.cluster.local", .a), .nameError)
        expectNegative(try ask("default.pod.cluster.local", .a), .noError)
    }

    @Test func pointersForServiceAndEndpointAddresses() throws {
        #expect(try ask("10.0.96.10.in-addr.arpa", .ptr).answerData == [.ptr(name("web.default.svc.cluster.local"))])
        #expect(try ask("1.1.1.10.in-addr.arpa", .ptr).answerData == [.ptr(name("db-0.db.default.svc.cluster.local"))])
        #expect(try ask("4.1.1.10.in-addr.arpa", .ptr).answerData
            == [.ptr(name("10-1-1-4.db.default.svc.cluster.local"))])
        let v6 = "0.2." + String(repeating: "0.", count: 28) + "d.f.ip6.arpa"
        #expect(try ask(v6, .ptr).answerData == [.ptr(name("dual.default.svc.cluster.local"))])
        // Other reverse names fall through to the upstream resolvers.
        #expect(try isForwarded("9.9.9.9.in-addr.arpa", .ptr))
        #expect(try isForwarded("10.0.96.10.in-addr.arpa", .a))
    }

    @Test func missingNamesAreNXDOMAINAndEmptyOnesNODATA() throws {
        expectNegative(try ask("nope.default.svc.cluster.local", .a), .nameError)
        expectNegative(try ask("a.b.c.web.default.svc.cluster.local", .a), .nameError)
        expectNegative(try ask("whatever.cluster.local", .a), .nameError)
        // Without a namespace list every namespace exists, as do the empty non-terminals.
        expectNegative(try ask("default.svc.cluster.local", .a), .noError)
        expectNegative(try ask("svc.cluster.local", .a), .noError)
        expectNegative(try ask("anything.svc.cluster.local", .a), .noError)
        let listed = ClusterDNSResolver(records: ClusterDNSRecordsHolder(
            try DNSFixtures.records(namespaces: ["default", "kube-system"])))
        expectNegative(try ask("default.svc.cluster.local", .a, using: listed), .noError)
        expectNegative(try ask("other.svc.cluster.local", .a, using: listed), .nameError)
        expectNegative(try ask("10-0-0-1.other.pod.cluster.local", .a, using: listed), .nameError)
        #expect(try ask("web.default.svc.cluster.local", .a, using: listed).answerData == [v4("10.96.0.10")])
    }

    @Test func zoneApexAndSchemaVersion() throws {
        let version = try ask("dns-version.cluster.local", .txt)
        #expect(version.answers == [DNSResourceRecord(name: name("dns-version.cluster.local"), ttl: 28800,
                                                      data: .txt([Array("1.1.0".utf8)]))])
        let soa = try ask("cluster.local", .soa)
        #expect(soa.answers.count == 1 && soa.answers[0].type == .soa)
        let ns = try ask("cluster.local", .ns)
        #expect(ns.answerData == [.ns(name("ns.dns.cluster.local"))])
        #expect(ns.additionals
            == [DNSResourceRecord(name: name("ns.dns.cluster.local"), ttl: 5, data: v4("10.96.0.53"))])
        #expect(try ask("ns.dns.cluster.local", .a).answerData == [v4("10.96.0.53")])
        #expect(try ask("kube-dns.kube-system.svc.cluster.local", .a).answerData == [v4("10.96.0.53")])
    }

    @Test func everythingElseIsForwarded() throws {
        #expect(try isForwarded("example.com", .a))
        #expect(try isForwarded("cluster.local.example.com", .a))
        #expect(try isForwarded("local", .soa))
    }

    @Test func oddQueriesGetTheRightError() throws {
        #expect(try ask("cluster.local", .axfr).responseCode == .refused)
        var query = try DNSFixtures.query("web.default.svc.cluster.local", .a)
        query.header.opcode = 2
        guard case .answer(let status) = resolver.resolve(query) else { throw DNSTestClient.Failure(what: "status") }
        #expect(status.responseCode == .notImplemented)
        query = try DNSFixtures.query("web.default.svc.cluster.local", .a)
        query.edns?.version = 1
        guard case .answer(let badVersion) = resolver.resolve(query) else { throw DNSTestClient.Failure(what: "edns") }
        #expect(badVersion.responseCode == .badVersion)
        #expect(badVersion.header.rcode == 0 && badVersion.edns?.extendedRCode == 1)
        query = try DNSFixtures.query("web.default.svc.cluster.local", .a)
        query.questions.append(query.questions[0])
        guard case .answer(let twoQuestions) = resolver.resolve(query) else { throw DNSTestClient.Failure(what: "qd") }
        #expect(twoQuestions.responseCode == .formatError)
        let plain = try DNSFixtures.query("web.default.svc.cluster.local", .a, edns: false)
        guard case .answer(let noEDNS) = resolver.resolve(plain) else { throw DNSTestClient.Failure(what: "plain") }
        #expect(noEDNS.edns == nil)
    }

    @Test func beforeTheFirstSnapshotClusterNamesFailAndTheSwapIsSeen() throws {
        let holder = ClusterDNSRecordsHolder()
        let resolver = ClusterDNSResolver(records: holder)
        #expect(try ask("web.default.svc.cluster.local", .a, using: resolver).responseCode == .serverFailure)
        if case .answer = resolver.resolve(try DNSFixtures.query("example.com", .a)) {
            Issue.record("names outside the zone are forwarded even before the first snapshot")
        }
        holder.replace(with: try DNSFixtures.records())
        #expect(try ask("web.default.svc.cluster.local", .a, using: resolver).answerData == [v4("10.96.0.10")])
        let moved = DNSFixtures.service("web", clusterIP: "10.96.0.99", clusterIPs: ["10.96.0.99"])
        holder.replace(with: try ClusterDNSRecords(services: [moved], endpointSlices: []))
        #expect(try ask("web.default.svc.cluster.local", .a, using: resolver).answerData == [v4("10.96.0.99")])
    }

    @Test func anotherClusterDomain() throws {
        let records = try ClusterDNSRecords(services: DNSFixtures.services, endpointSlices: [],
                                            clusterDomain: "Corp.Example.")
        let resolver = ClusterDNSResolver(records: ClusterDNSRecordsHolder(records), clusterDomain: "corp.example")
        #expect(try ask("web.default.svc.corp.example", .a, using: resolver).answerData == [v4("10.96.0.10")])
        if case .answer = resolver.resolve(try DNSFixtures.query("web.default.svc.cluster.local", .a)) {
            Issue.record("cluster.local is not this cluster's zone: forwarded")
        }
    }
}
