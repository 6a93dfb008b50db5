@testable import SkiffAPI
@testable import SkiffServerCodecs
import Testing

@Suite("Kubernetes protobuf: message table and Go value formatting")
struct ProtobufTableAndFormattingTests {
    private func schema() throws -> ProtobufSchema {
        try ProtobufSchema.shared.get()
    }

    @Test("the generated table loads and maps every served group-version")
    func tableLoads() throws {
        let schema = try schema()
        let apiVersions = Set(schema.packageByAPIVersion.keys)
        for expected in [
            "v1", "apps/v1", "batch/v1", "coordination.k8s.io/v1", "discovery.k8s.io/v1", "events.k8s.io/v1",
            "policy/v1", "rbac.authorization.k8s.io/v1", "autoscaling/v1", "autoscaling/v2", "networking.k8s.io/v1",
            "storage.k8s.io/v1", "scheduling.k8s.io/v1", "authentication.k8s.io/v1", "authorization.k8s.io/v1",
            "apiextensions.k8s.io/v1", "meta.k8s.io/v1",
        ] {
            #expect(apiVersions.contains(expected), "\(expected)")
        }
        #expect(schema.messages.count > 500)
        for kind in ["Pod", "Service", "Node", "Event", "PersistentVolumeClaim", "ReplicationController"] {
            #expect(schema.messageIndex(apiVersion: "v1", kind: kind) != nil, "\(kind)")
        }
        #expect(schema.messageIndex(apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler") != nil)
        #expect(schema.messageIndex(apiVersion: "storage.k8s.io/v1", kind: "StorageClass") != nil)
    }

    @Test("the table keeps what only the Go tags say: JSON names, inline structs, omitempty and pointers")
    func goTagKnowledge() throws {
        let schema = try schema()
        func field(_ message: String, _ number: Int) throws -> ProtobufFieldDescriptor {
            let index = try #require(schema.messageIndexByFullName[message])
            let slot = try #require(schema.messages[index].slot(forNumber: number))
            return schema.messages[index].fields[slot]
        }
        let props = "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps"
        #expect(try field(props, 42).jsonName == "x-kubernetes-list-type")
        #expect(try field(props, 3).jsonName == "$ref")
        #expect(try field("k8s.io.api.core.v1.Volume", 2).isInline)
        #expect(try field("k8s.io.api.core.v1.Probe", 1).isInline)
        #expect(try field("k8s.io.api.core.v1.ConfigMapVolumeSource", 1).isInline)
        // hostPort is `int32 omitempty`; replicas is `*int32` (a set 0 means something).
        #expect(try field("k8s.io.api.core.v1.ContainerPort", 2).omitEmpty)
        #expect(try !field("k8s.io.api.apps.v1.DeploymentSpec", 1).omitEmpty)
        // containerPort has no omitempty: Go writes 0.
        #expect(try !field("k8s.io.api.core.v1.ContainerPort", 3).omitEmpty)
    }

    @Test("a broken table is an internal error, not a crash")
    func brokenTable() {
        #expect(throws: KubernetesProtobufError.self) { try ProtobufSchema(table: "@a k8s.io.a -\na.M: 1 x b.Unknown") }
        #expect(throws: KubernetesProtobufError.self) { try ProtobufSchema(table: "no colon here") }
        #expect((try? ProtobufSchema(table: "@a k8s.io.a v1\na.M: 1 x string; 2 y []a.M o")) != nil)
    }

    @Test("durations print as Go's time.Duration.String", arguments: [
        (Int64(0), "0s"), (1, "1ns"), (999, "999ns"), (1_500, "1.5µs"), (1_000_000, "1ms"), (2_500_000, "2.5ms"),
        (1_000_000_000, "1s"), (1_500_000_000, "1.5s"), (90_000_000_000, "1m30s"), (3_600_000_000_000, "1h0m0s"),
        (5_400_000_000_001, "1h30m0.000000001s"), (-90_000_000_000, "-1m30s"), (-1, "-1ns"),
        (Int64.max, "2562047h47m16.854775807s"), (Int64.min, "-2562047h47m16.854775808s"),
    ])
    func durations(nanoseconds: Int64, expected: String) {
        #expect(GoValueFormatting.duration(nanoseconds: nanoseconds) == expected)
    }

    @Test("times print as Go's RFC 3339 layouts in UTC")
    func times() {
        #expect(GoValueFormatting.rfc3339(unixSeconds: 0) == "1970-01-01T00:00:00Z")
        #expect(GoValueFormatting.rfc3339(unixSeconds: -1) == "1969-12-31T23:59:59Z")
        #expect(GoValueFormatting.rfc3339(unixSeconds: 951_782_400) == "2000-02-29T00:00:00Z")
        #expect(GoValueFormatting.rfc3339(unixSeconds: 1_700_000_000) == "2023-11-14T22:13:20Z")
        #expect(GoValueFormatting.rfc3339(unixSeconds: 253_402_300_799) == "9999-12-31T23:59:59Z")
        #expect(GoValueFormatting.rfc3339(unixSeconds: -62_135_596_799) == "0001-01-01T00:00:01Z")
        #expect(GoValueFormatting.rfc3339(unixSeconds: 1_700_000_000, microseconds: 5) == "2023-11-14T22:13:20.000005Z")
        // Far outside what anyone sends, and still no trap.
        _ = GoValueFormatting.rfc3339(unixSeconds: .max)
        _ = GoValueFormatting.rfc3339(unixSeconds: .min)
    }

    @Test("quantity syntax as resource.ParseQuantity accepts it")
    func quantities() {
        for valid in ["0", "1", "500m", "1Gi", "128Mi", "1e3", "1E-2", "+1.5", "-2", ".5", "2.", "100k", "1Ei"] {
            #expect(GoValueFormatting.isQuantity(valid), "\(valid)")
        }
        for invalid in ["", "abc", "1Xi", "1.2.3", "e3", "1e", "1 Gi", ".", "--1", "1Mi1"] {
            #expect(!GoValueFormatting.isQuantity(invalid), "\(invalid)")
        }
    }
}
