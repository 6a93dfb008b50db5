import NIOCore
import NIOPosix
@testable import SkiffProxy
import Testing

/// Parsing must end in a message or an error for any bytes whatever: random, mutated from real messages, cut
/// short, or built to loop. Seeded, so a failure repeats.
@Suite struct DNSFuzzTests {
    /// SplitMix64: a small seeded generator, so every run sees the same inputs.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Real messages to mutate: captured packets and every answer the resolver gives for the fixtures.
    static func seeds() throws -> [[UInt8]] {
        let resolver = ClusterDNSResolver(records: ClusterDNSRecordsHolder(try DNSFixtures.records()))
        var seeds = [DNSMessageTests.digQuery, DNSMessageTests.resolverAnswer]
        for (name, type) in [("web.default.svc.cluster.local", DNSRecordType.srv),
                             ("db.default.svc.cluster.local", .srv),
                             ("_pg._tcp.db.default.svc.cluster.local", .srv), ("cluster.local", .ns),
                             ("nope.default.svc.cluster.local", .a), ("10.0.96.10.in-addr.arpa", .ptr),
                             ("dns-version.cluster.local", .txt), ("ext.default.svc.cluster.local", .a)] {
            let query = try DNSFixtures.query(name, type)
            seeds.append(query.encoded())
            if case .answer(let response) = resolver.resolve(query) { seeds.append(response.encoded()) }
        }
        return seeds
    }

    /// A parse that succeeds must give a message that survives writing and reading again.
    static func check(_ bytes: [UInt8]) {
        guard let message = try? DNSMessage(parsing: bytes) else { return }
        let again = try? DNSMessage(parsing: message.encoded())
        #expect(again == message, "re-encoding changed \(bytes)")
    }

    @Test func randomBytes() {
        var random = SeededGenerator(state: 1)
        for _ in 0..<5000 {
            let count = Int.random(in: 0...600, using: &random)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            // Plausible counts make the parser go further than a random header would.
            if bytes.count >= 12 {
                for index in [4, 6, 8, 10] { bytes[index] = 0 }
                bytes[5] = UInt8.random(in: 0...3, using: &random)
                bytes[7] = UInt8.random(in: 0...3, using: &random)
                bytes[11] = UInt8.random(in: 0...2, using: &random)
            }
            Self.check(bytes)
        }
    }

    @Test func mutatedRealMessages() throws {
        var random = SeededGenerator(state: 2)
        let seeds = try Self.seeds()
        for round in 0..<6000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                guard !bytes.isEmpty else { break }
                let index = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<5, using: &random) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &random)
                case 2: bytes.remove(at: index)
                case 3: bytes.insert(UInt8.random(in: 0...255, using: &random), at: index)
                default: bytes[index] = [0xC0, 0x00, 0x3F, 0xFF][Int.random(in: 0..<4, using: &random)]
                }
            }
            Self.check(bytes)
        }
    }

    @Test func everyPrefixOfRealMessages() throws {
        for seed in try Self.seeds() {
            for length in 0...seed.count { Self.check(Array(seed.prefix(length))) }
        }
    }

    @Test func pointerChainsEndQuickly() {
        // 255 pointers each aiming at the one before: legal-looking, but the name never ends in a root label.
        var bytes: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        for index in 0..<255 {
            let target = 12 + max(index - 1, 0) * 2
            bytes += [0xC0 | UInt8(target >> 8), UInt8(target & 0xFF)]
        }
        bytes += [0, 1, 0, 1]
        #expect(throws: (any Error).self) { try DNSMessage(parsing: bytes) }
        // Labels of 63 bytes chained by pointers: the name would outgrow 255 bytes.
        var long: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        for index in 0..<6 {
            long += [63] + [UInt8](repeating: 0x61, count: 63)
            let target = 12 + (index - 1) * 66
            long += index == 0 ? [0] : [0xC0 | UInt8(target >> 8), UInt8(target & 0xFF)]
        }
        Self.check(long)
    }

    @Test func theServerPathNeverTraps() throws {
        let processor = DNSQueryProcessor(resolver: ClusterDNSResolver(records: ClusterDNSRecordsHolder(
            try DNSFixtures.records())), forwarder: nil)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        var random = SeededGenerator(state: 3)
        let seeds = try Self.seeds()
        for round in 0..<4000 {
            var bytes = seeds[round % seeds.count]
            let index = Int.random(in: 0..<bytes.count, using: &random)
            bytes[index] = UInt8.random(in: 0...255, using: &random)
            if round % 3 == 0 { bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random))) }
            switch processor.process(bytes, transport: round % 2 == 0 ? .udp : .tcp, on: loop) {
            case .drop:
                #expect(bytes.count < 12 || bytes[2] & 0x80 != 0)
            case .reply(let response):
                #expect(response.count >= 12 && response[0] == bytes[0] && response[1] == bytes[1])
                #expect(round % 2 == 1 || response.count <= 1232)
            case .pending:
                Issue.record("no forwarder, yet forwarded")
            }
        }
    }
}
