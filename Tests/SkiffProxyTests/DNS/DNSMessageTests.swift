@testable import SkiffProxy
import Testing

@Suite struct DNSNameTests {
    @Test func parsesAndPrintsPresentationText() throws {
        let parsed = try DNSName("web.default.svc.cluster.local")
        #expect(parsed.wire.count == 31)
        #expect(parsed.description == "web.default.svc.cluster.local.")
        #expect(try DNSName("web.default.svc.cluster.local.") == parsed)
        #expect(parsed.labels == ["web", "default", "svc", "cluster", "local"])
        #expect(try DNSName(".").isRoot)
        #expect(try DNSName("a\\.b.c").labelCount == 2)
        #expect(try DNSName("a\\.b.c").description == "a\\.b.c.")
        #expect(try DNSName("\\255x").wire == [2, 255, UInt8(ascii: "x"), 0])
    }

    @Test func rejectsBadText() {
        #expect(throws: DNSWireError.emptyLabel) { try DNSName("a..b") }
        #expect(throws: DNSWireError.labelTooLong) { try DNSName(String(repeating: "a", count: 64)) }
        let long = Array(repeating: String(repeating: "a", count: 60), count: 5).joined(separator: ".")
        #expect(throws: DNSWireError.nameTooLong) { try DNSName(long) }
    }

    @Test func comparesIgnoringCase() throws {
        let upper = try DNSName("WEB.Default.SVC.cluster.local")
        let lower = try DNSName("web.default.svc.cluster.local")
        #expect(upper == lower)
        #expect(upper.hashValue == lower.hashValue)
        #expect(upper.lowercased().wire == lower.wire)
        #expect(Set([upper, lower]).count == 1)
    }

    @Test func knowsItsZone() throws {
        let zone = try DNSName("cluster.local")
        #expect(try DNSName("a.b.CLUSTER.local").isSubdomain(of: zone))
        #expect(zone.isSubdomain(of: zone))
        #expect(try !DNSName("xcluster.local").isSubdomain(of: zone))
        #expect(try !DNSName("local").isSubdomain(of: zone))
        #expect(try DNSName("a.b.cluster.local").labels(relativeTo: zone) == ["a", "b"])
        #expect(try DNSName("a.b.cluster.local").parent == DNSName("b.cluster.local"))
    }
}

@Suite struct DNSMessageTests {
    /// `dig example.com A` (BIND 9.18): RD and AD set, EDNS with a 1232-byte payload and a client cookie.
    static let digQuery: [UInt8] = [
        0x8A, 0x3F, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x07, 0x65, 0x78, 0x61, 0x6D, 0x70, 0x6C, 0x65, 0x03, 0x63, 0x6F, 0x6D, 0x00, 0x00, 0x01, 0x00, 0x01,
        0x00, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x00, 0x0A, 0x00, 0x08,
        0x5B, 0x1C, 0x3A, 0x9E, 0x27, 0x44, 0xA1, 0x0F,
    ]

    /// A resolver's answer to it: one A record whose owner is a pointer to the question (0xC00C).
    static let resolverAnswer: [UInt8] = [
        0x8A, 0x3F, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
        0x07, 0x65, 0x78, 0x61, 0x6D, 0x70, 0x6C, 0x65, 0x03, 0x63, 0x6F, 0x6D, 0x00, 0x00, 0x01, 0x00, 0x01,
        0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0E, 0x10, 0x00, 0x04, 0x5D, 0xB8, 0xD7, 0x0E,
        0x00, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]

    @Test func decodesADigQuery() throws {
        let message = try DNSMessage(parsing: Self.digQuery)
        #expect(message.header.id == 0x8A3F)
        #expect(!message.header.isResponse)
        #expect(message.header.recursionDesired)
        #expect(message.questions == [DNSQuestion(name: try DNSName("example.com"), type: .a)])
        #expect(message.edns?.udpPayloadSize == 1232)
        #expect(message.edns?.options.count == 12)
        #expect(message.additionals.isEmpty)
        #expect(message.encoded() == Self.digQuery)
    }

    @Test func decodesACompressedAnswer() throws {
        let message = try DNSMessage(parsing: Self.resolverAnswer)
        #expect(message.header.isResponse && message.header.recursionAvailable)
        #expect(message.responseCode == .noError)
        #expect(message.answers == [DNSResourceRecord(name: try DNSName("example.com"), ttl: 3600,
                                                      data: .a(DNSIPv4Address(0x5DB8_D70E)))])
        #expect(message.answers[0].data == v4("93.184.215.14"))
        // Written again, the owner compresses to the same pointer: byte for byte the same message.
        #expect(message.encoded() == Self.resolverAnswer)
    }

    @Test func roundTripsEveryRecordType() throws {
        let owner = try DNSName("x.example")
        let records: [DNSRecordData] = [
            v4("10.0.0.1"), .aaaa(try #require(DNSIPv6Address("fd00::1"))), .cname(try DNSName("y.example")),
            .ns(try DNSName("ns.example")), .ptr(try DNSName("z.example")),
            .soa(DNSSOA(primary: try DNSName("ns.example"), mailbox: try DNSName("hostmaster.example"), serial: 1,
                        refresh: 2, retry: 3, expire: 4, minimum: 5)),
            .srv(priority: 0, weight: 50, port: 443, target: try DNSName("x.example")),
            .txt([Array("1.1.0".utf8), []]), .unknown(type: DNSRecordType(rawValue: 99), data: [1, 2, 3]),
        ]
        var header = DNSHeader(id: 7)
        header.isResponse = true
        header.isAuthoritative = true
        var message = DNSMessage(header: header, questions: [DNSQuestion(name: owner, type: .any)],
                                 answers: records.map { DNSResourceRecord(name: owner, ttl: 5, data: $0) },
                                 authorities: [DNSResourceRecord(name: owner, ttl: 5, data: v4("10.0.0.2"))],
                                 additionals: [DNSResourceRecord(name: owner, ttl: 5, data: v4("10.0.0.3"))],
                                 edns: DNSEDNS(udpPayloadSize: 4096, dnssecOK: true))
        message.responseCode = .badVersion
        let bytes = message.encoded()
        let parsed = try DNSMessage(parsing: bytes)
        #expect(parsed == message)
        #expect(parsed.responseCode == .badVersion)
        #expect(parsed.edns?.dnssecOK == true)
        #expect(DNSIPv6Address("fd00::1")?.description == "fd00::1")
    }

    @Test func compressesRepeatedNames() throws {
        let owner = try DNSName("web.default.svc.cluster.local")
        let answers = (1...3).map { DNSResourceRecord(name: owner, ttl: 5, data: v4("10.0.0.\($0)")) }
        let message = DNSMessage(questions: [DNSQuestion(name: owner, type: .a)], answers: answers)
        let bytes = message.encoded()
        // Header 12, question 31 + 4, then each answer is a 2-byte pointer and 14 bytes.
        #expect(bytes.count == 12 + 35 + 3 * 16)
        #expect(try DNSMessage(parsing: bytes) == message)
    }

    @Test func truncatesToWholeRecordsAndSetsTC() throws {
        let owner = try DNSName("db.default.svc.cluster.local")
        let answers = (0..<100).map { DNSResourceRecord(name: owner, ttl: 5, data: .a(DNSIPv4Address(UInt32($0)))) }
        let message = DNSMessage(questions: [DNSQuestion(name: owner, type: .a)], answers: answers,
                                 edns: DNSEDNS(udpPayloadSize: 1232))
        let bytes = message.encoded(maxSize: 512)
        #expect(bytes.count <= 512)
        let parsed = try DNSMessage(parsing: bytes)
        #expect(parsed.header.isTruncated)
        #expect(parsed.answers.count == (512 - 12 - 34 - 11) / 16)
        #expect(parsed.answers == Array(answers.prefix(parsed.answers.count)))
        #expect(parsed.edns != nil)
        #expect(try !DNSMessage(parsing: message.encoded()).header.isTruncated)
    }

    @Test func droppingOnlyAdditionalRecordsIsNoTruncation() throws {
        let owner = try DNSName("db.default.svc.cluster.local")
        let extra = (0..<60).map { DNSResourceRecord(name: owner, ttl: 5, data: .a(DNSIPv4Address(UInt32($0)))) }
        let message = DNSMessage(questions: [DNSQuestion(name: owner, type: .srv)],
                                 answers: [DNSResourceRecord(name: owner, ttl: 5, data: v4("10.0.0.1"))],
                                 additionals: extra)
        let parsed = try DNSMessage(parsing: message.encoded(maxSize: 512))
        #expect(!parsed.header.isTruncated)
        #expect(parsed.answers.count == 1)
        #expect(parsed.additionals.count < 60)
    }

    @Test func rejectsPointerLoopsAndForwardPointers() {
        let header: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        // The question's name is a pointer to itself.
        #expect(throws: DNSWireError.badPointer) { try DNSMessage(parsing: header + [0xC0, 0x0C, 0, 1, 0, 1]) }
        // A label, then a pointer back to that label: a loop through one label.
        #expect(throws: DNSWireError.badPointer) { try DNSMessage(parsing: header + [1, 0x61, 0xC0, 0x0C, 0, 1, 0, 1]) }
        // A pointer forward, into the type field.
        #expect(throws: DNSWireError.badPointer) { try DNSMessage(parsing: header + [0xC0, 0x0E, 0, 1, 0, 1]) }
        // A pointer beyond the end.
        #expect(throws: (any Error).self) { try DNSMessage(parsing: header + [0xC3, 0xFF, 0, 1, 0, 1]) }
        // The retired extended label type 0x40.
        #expect(throws: DNSWireError.badLabelType) { try DNSMessage(parsing: header + [0x41, 0, 0, 1, 0, 1]) }
        #expect(throws: DNSWireError.truncated) { try DNSMessage(parsing: Array(header.prefix(11))) }
    }

    @Test func rejectsTwoOPTRecords() {
        let opt: [UInt8] = [0, 0, 41, 4, 0xD0, 0, 0, 0, 0, 0, 0]
        let message: [UInt8] = [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2] + opt + opt
        #expect(throws: DNSWireError.duplicateOPT) { try DNSMessage(parsing: message) }
    }
}
