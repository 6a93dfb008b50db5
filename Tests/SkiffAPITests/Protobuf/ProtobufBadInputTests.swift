import SkiffAPI
@testable import SkiffServerCodecs
import Testing

/// Bad bodies get a clear error, and no input traps.
@Suite("Kubernetes protobuf: bad input")
struct ProtobufBadInputTests {
    private func error(decoding bytes: [UInt8]) -> KubernetesProtobufError? {
        do {
            _ = try KubernetesProtobuf.decode(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test("an empty body, a body without the magic and the magic alone")
    func notProtobuf() throws {
        let empty = try #require(error(decoding: []))
        #expect(empty.isNotProtobuf && empty.message == "protobuf body is empty")
        let json = try #require(error(decoding: Array(#"{"kind":"ConfigMap"}"#.utf8)))
        #expect(json.isNotProtobuf && json.message.contains("does not start with"))
        #expect(error(decoding: [0x6B, 0x38])?.isNotProtobuf == true)
        let magicOnly = try #require(error(decoding: KubernetesProtobuf.magic))
        #expect(magicOnly.message == "protobuf body is empty after the \"k8s\\0\" prefix")
        #expect(magicOnly.apiError.code == 400)
        #expect(magicOnly.apiError.reason == "BadRequest")
    }

    @Test("a kind or apiVersion the table does not know, and a missing kind")
    func unknownKind() throws {
        let raw = ProtoWriter.message { $0.field(1) { $0.field(1, string: "x") } }
        let unknown = try #require(error(decoding: protobufBody(apiVersion: "v1", kind: "Widget", raw: raw)))
        #expect(unknown.isUnknownKind)
        #expect(unknown.message == #"no kind "Widget" is registered for version "v1""#)
        let version = try #require(error(decoding: protobufBody(apiVersion: "apps/v9", kind: "Deployment", raw: raw)))
        #expect(version.message == #"no kind "Deployment" is registered for version "apps/v9""#)
        // Helper messages are no top-level kinds.
        let time = protobufBody(apiVersion: "meta.k8s.io/v1", kind: "Time", raw: [])
        #expect(error(decoding: time)?.isUnknownKind == true)
        let missing = try #require(error(decoding: protobufBody(apiVersion: "v1", kind: "", raw: raw)))
        #expect(missing.isUnknownKind && missing.message.contains("'Kind' is missing"))
    }

    @Test("truncated bodies name the truncation; no prefix of a real body traps")
    func truncated() throws {
        let body = fixtureBytes(BuiltProtobufFixtures.deployment)
        let cut = try #require(error(decoding: Array(body.prefix(body.count - 10))))
        #expect(cut.message.hasPrefix("protobuf body is truncated"))
        for length in 0..<body.count {
            // A cut at a field boundary of the envelope can leave a valid (smaller) body; every other cut throws.
            _ = try? KubernetesProtobuf.decode(Array(body.prefix(length)))
        }
    }

    @Test("a field sent with the wrong wire type is refused with its name")
    func wrongWireType() throws {
        let raw = ProtoWriter.message { $0.field(1) { $0.field(1, varint: 5) } }
        let wrong = try #require(error(decoding: protobufBody(apiVersion: "v1", kind: "ConfigMap", raw: raw)))
        #expect(wrong.message.contains("wrong wire type 0 for field ObjectMeta.name"))
    }

    @Test("an encoded envelope content encoding is refused")
    func contentEncoding() throws {
        let body = protobufBody(apiVersion: "v1", kind: "ConfigMap", raw: []) + ProtoWriter.message {
            $0.field(3, string: "gzip")
        }
        #expect(error(decoding: body)?.message == #"protobuf envelope has unsupported contentEncoding "gzip""#)
    }

    @Test("values Go would refuse: an invalid quantity, invalid embedded JSON, an impossible IntOrString")
    func invalidValues() throws {
        let quantity = ProtoWriter.message { quota in
            quota.field(2) { spec in
                spec.field(1) { entry in
                    entry.field(1, string: "cpu")
                    entry.field(2) { $0.field(1, string: "lots") }
                }
            }
        }
        let badQuantity = try #require(
            error(decoding: protobufBody(apiVersion: "v1", kind: "ResourceQuota", raw: quantity)))
        #expect(badQuantity.message.contains(#"invalid quantity "lots""#))

        let revision = ProtoWriter.message { $0.field(2) { $0.field(1, string: "{not json") } }
        let badJSON = try #require(
            error(decoding: protobufBody(apiVersion: "apps/v1", kind: "ControllerRevision", raw: revision)))
        #expect(badJSON.message.contains("invalid JSON in a RawExtension"))

        let surge = ProtoWriter.message { deployment in
            deployment.field(2) { spec in
                spec.field(4) { strategy in strategy.field(2) { $0.field(2) { $0.field(1, int: 7) } } }
            }
        }
        let badIntOrString = try #require(
            error(decoding: protobufBody(apiVersion: "apps/v1", kind: "Deployment", raw: surge)))
        #expect(badIntOrString.message.contains("IntOrString of impossible type 7"))
    }

    @Test("absurdly deep nesting is refused, not recursed into")
    func deepNesting() throws {
        // JSONSchemaProps.not (28) nested 1,000 times.
        var schema: [UInt8] = []
        for _ in 0..<1_000 { schema = ProtoWriter.message { $0.field(28, bytes: schema) } }
        let raw = ProtoWriter.message { crd in
            crd.field(2) { spec in
                spec.field(7) { version in
                    version.field(1, string: "v1")
                    version.field(4) { $0.field(1, bytes: schema) }
                }
            }
        }
        let deep = try #require(error(decoding: protobufBody(
            apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", raw: raw)))
        #expect(deep.message.contains("nests deeper than"))
    }

    @Test("fuzz: random bytes and mutated real bodies throw or decode, never trap")
    func fuzz() {
        var random = SplitMix64(seed: 0x5EED_2024)
        let seeds = [
            BuiltProtobufFixtures.deployment, BuiltProtobufFixtures.configMap, BuiltProtobufFixtures.secret,
            BuiltProtobufFixtures.customResourceDefinition, BuiltProtobufFixtures.lease,
        ].map(fixtureBytes)
        var decodedCount = 0
        var thrownCount = 0
        for iteration in 0..<6_000 {
            var body: [UInt8]
            if iteration % 3 == 0 {
                let length = Int(random.next() % 256)
                body = KubernetesProtobuf.magic + (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            } else {
                body = seeds[Int(random.next() % UInt64(seeds.count))]
                for _ in 0...(random.next() % 4) {
                    let index = 4 + Int(random.next() % UInt64(body.count - 4))
                    switch random.next() % 3 {
                    case 0: body[index] = UInt8(truncatingIfNeeded: random.next())
                    case 1: body[index] ^= 1 << UInt8(random.next() % 8)
                    default: body.insert(UInt8(truncatingIfNeeded: random.next()), at: index)
                    }
                }
            }
            do {
                _ = try KubernetesProtobuf.decode(body)
                decodedCount += 1
            } catch {
                #expect(!error.message.isEmpty && !error.isInternal)
                thrownCount += 1
            }
        }
        #expect(decodedCount + thrownCount == 6_000)
        #expect(thrownCount > 0)
    }
}

extension ProtobufBadInputTests {
    /// Random but well-formed messages: small field numbers of every wire type, nested messages, edge values.
    private static func randomMessage(_ random: inout SplitMix64, depth: Int) -> [UInt8] {
        var writer = ProtoWriter()
        for _ in 0..<Int(random.next() % 8) {
            let number = 1 + Int(random.next() % 20)
            switch random.next() % 6 {
            case 0, 1:
                let values: [Int64] = [0, 1, 42, -1, -62_135_596_800, Int64(bitPattern: random.next())]
                writer.field(number, int: values[Int(random.next() % UInt64(values.count))])
            case 2: writer.field(number, fixed64: random.next())
            case 3:
                let texts = ["", "x", "1Gi", #"{"a":1}"#, "25%", "500m", "\u{FFFF}"]
                writer.field(number, string: texts[Int(random.next() % UInt64(texts.count))])
            default:
                writer.field(number, bytes: depth < 8 ? randomMessage(&random, depth: depth + 1) : [])
            }
        }
        return writer.bytes
    }

    @Test("fuzz: random well-formed messages under many kinds throw or decode, never trap")
    func structuredFuzz() {
        let kinds = [
            ("v1", "Pod"), ("v1", "Service"), ("v1", "Secret"), ("v1", "Node"), ("apps/v1", "Deployment"),
            ("apps/v1", "StatefulSet"), ("batch/v1", "CronJob"), ("coordination.k8s.io/v1", "Lease"),
            ("discovery.k8s.io/v1", "EndpointSlice"), ("events.k8s.io/v1", "Event"), ("policy/v1", "Eviction"),
            ("rbac.authorization.k8s.io/v1", "ClusterRole"), ("autoscaling/v2", "HorizontalPodAutoscaler"),
            ("networking.k8s.io/v1", "NetworkPolicy"), ("storage.k8s.io/v1", "StorageClass"),
            ("authentication.k8s.io/v1", "TokenRequest"), ("authorization.k8s.io/v1", "SubjectAccessReview"),
            ("apiextensions.k8s.io/v1", "CustomResourceDefinition"), ("v1", "DeleteOptions"),
        ]
        var random = SplitMix64(seed: 0xF0_22)
        var decodedCount = 0
        for _ in 0..<4_000 {
            let (apiVersion, kind) = kinds[Int(random.next() % UInt64(kinds.count))]
            let body = protobufBody(apiVersion: apiVersion, kind: kind, raw: Self.randomMessage(&random, depth: 0))
            do {
                _ = try KubernetesProtobuf.decode(body)
                decodedCount += 1
            } catch {
                #expect(!error.message.isEmpty && !error.isInternal)
            }
        }
        #expect(decodedCount > 0)
    }
}

/// A small seeded generator, so a fuzz failure can be replayed.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
