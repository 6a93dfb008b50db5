import SkiffAPI
@testable import SkiffServerCodecs
import Testing

/// Hand-built bodies for what an encoder may legally send but the fixtures do not: unknown fields, packed and
/// unpacked repeated scalars, repeated occurrences of singular fields, negative numbers, and defaults.
@Suite("Kubernetes protobuf: wire format")
struct ProtobufWireDecodingTests {
    @Test("unknown fields of every wire type are skipped, in the envelope and in objects")
    func unknownFieldsSkipped() throws {
        let metadata = ProtoWriter.message { meta in
            meta.field(1, string: "cfg")
            meta.field(900, varint: 7)
            meta.field(901, fixed64: 0xFFFF_FFFF_FFFF_FFFF)
            meta.tag(902, 5)
            meta.bytes += [1, 2, 3, 4]
            meta.tag(903, 3)  // a group holding a varint and a nested group
            meta.field(1, varint: 1)
            meta.tag(2, 3)
            meta.tag(2, 4)
            meta.tag(903, 4)
            meta.field(904, string: "ignored")
        }
        let raw = ProtoWriter.message { $0.field(1, bytes: metadata) }
        var body = protobufBody(apiVersion: "v1", kind: "ConfigMap", raw: raw)
        body += ProtoWriter.message { $0.field(77, string: "future envelope field") }
        #expect(try decodedJSONText(body) == #"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cfg"}}"#)
    }

    @Test("repeated scalars decode whether packed, unpacked or both")
    func packedAndUnpacked() throws {
        let securityContext = ProtoWriter.message { context in
            context.field(4, varint: 1)
            context.field(4, bytes: ProtoWriter.message { packed in
                packed.varint(2)
                packed.varint(3)
            })
            context.field(4, varint: 4)
        }
        let raw = ProtoWriter.message { pod in
            pod.field(1) { $0.field(1, string: "p") }
            pod.field(2) { $0.field(14, bytes: securityContext) }
        }
        let decoded = try KubernetesProtobuf.decode(protobufBody(apiVersion: "v1", kind: "Pod", raw: raw))
        #expect(decoded.value(at: ["spec", "securityContext", "supplementalGroups"]) == [1, 2, 3, 4])
    }

    @Test("a singular message sent twice merges; a singular scalar sent twice keeps the last")
    func mergeAndLastWins() throws {
        let raw = ProtoWriter.message { configMap in
            configMap.field(1) { $0.field(1, string: "first") }
            configMap.field(1) { meta in
                meta.field(1, string: "second")
                meta.field(3, string: "ns")
            }
        }
        let decoded = try KubernetesProtobuf.decode(protobufBody(apiVersion: "v1", kind: "ConfigMap", raw: raw))
        #expect(decoded["metadata"] == ["name": "second", "namespace": "ns"])
    }

    @Test("negative int32 values (ten-byte varints) decode as Go's int32 conversion does")
    func negativeInt32() throws {
        let raw = ProtoWriter.message { deployment in
            deployment.field(2) { $0.field(1, int: -1) }
        }
        let decoded = try KubernetesProtobuf.decode(protobufBody(apiVersion: "apps/v1", kind: "Deployment", raw: raw))
        #expect(decoded.value(at: ["spec", "replicas"]) == -1)
    }

    @Test("the request's apiVersion and kind fill an envelope that leaves them empty")
    func defaultsFromRequest() throws {
        let raw = ProtoWriter.message { $0.field(1) { $0.field(1, string: "n") } }
        let body = protobufBody(apiVersion: "", kind: "", raw: raw)
        let decoded = try KubernetesProtobuf.decode(body, defaultAPIVersion: "v1", defaultKind: "Namespace")
        #expect(decoded.jsonString == #"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"n"}}"#)
        // The envelope wins over the defaults.
        let named = protobufBody(apiVersion: "v1", kind: "ConfigMap", raw: raw)
        #expect(try KubernetesProtobuf.decode(named, defaultAPIVersion: "v1", defaultKind: "Namespace")["kind"]
            == "ConfigMap")
    }

    @Test("DeleteOptions decodes under any served group-version, as every group registers it")
    func deleteOptionsInEveryGroup() throws {
        let raw = ProtoWriter.message { options in
            options.field(1, int: 0)
            options.field(4, string: "Foreground")
        }
        for apiVersion in ["v1", "apps/v1", "meta.k8s.io/v1"] {
            let body = protobufBody(apiVersion: apiVersion, kind: "DeleteOptions", raw: raw)
            #expect(try KubernetesProtobuf.decode(body).jsonString == """
                {"kind":"DeleteOptions","apiVersion":"\(apiVersion)","gracePeriodSeconds":0,\
                "propagationPolicy":"Foreground"}
                """)
        }
    }

    @Test("times: the zero time and an empty Time are left out, the Unix epoch is written")
    func times() throws {
        func creationTimestamp(_ time: [UInt8]) throws -> JSONValue? {
            let raw = ProtoWriter.message { $0.field(1) { $0.field(8, bytes: time) } }
            return try KubernetesProtobuf.decode(protobufBody(apiVersion: "v1", kind: "ConfigMap", raw: raw))
                .value(at: ["metadata", "creationTimestamp"])
        }
        #expect(try creationTimestamp([]) == nil)
        #expect(try creationTimestamp(ProtoWriter.message { $0.field(1, int: -62_135_596_800) }) == nil)
        #expect(try creationTimestamp(ProtoWriter.message { $0.field(1, int: 0) }) == "1970-01-01T00:00:00Z")
        // metav1.Time keeps whole seconds, as its protobuf Unmarshal does.
        let withNanos = ProtoWriter.message { time in
            time.field(1, int: 1_700_000_000)
            time.field(2, int: 999_999_999)
        }
        #expect(try creationTimestamp(withNanos) == "2023-11-14T22:13:20Z")
    }

    @Test("micro times normalize nanoseconds beyond a second either way, as Go's time.Unix does")
    func microTimeNormalization() throws {
        func renewTime(nanos: Int64) throws -> JSONValue? {
            let raw = ProtoWriter.message { lease in
                lease.field(2) { spec in
                    spec.field(4) { time in
                        time.field(1, int: 1_700_000_000)
                        time.field(2, int: nanos)
                    }
                }
            }
            let body = protobufBody(apiVersion: "coordination.k8s.io/v1", kind: "Lease", raw: raw)
            return try KubernetesProtobuf.decode(body).value(at: ["spec", "renewTime"])
        }
        #expect(try renewTime(nanos: Int64(Int32.max)) == "2023-11-14T22:13:22.147483Z")
        #expect(try renewTime(nanos: Int64(Int32.min)) == "2023-11-14T22:13:17.852517Z")
        #expect(try renewTime(nanos: -1_500) == "2023-11-14T22:13:19.999999Z")
    }

    @Test("IntOrString: type 0 is a number, type 1 a string")
    func intOrString() throws {
        func maxSurge(_ value: [UInt8]) throws -> JSONValue? {
            let raw = ProtoWriter.message { deployment in
                deployment.field(2) { spec in
                    spec.field(4) { strategy in strategy.field(2) { $0.field(2, bytes: value) } }
                }
            }
            return try KubernetesProtobuf.decode(protobufBody(apiVersion: "apps/v1", kind: "Deployment", raw: raw))
                .value(at: ["spec", "strategy", "rollingUpdate", "maxSurge"])
        }
        #expect(try maxSurge(ProtoWriter.message { $0.field(1, int: 0); $0.field(2, int: 3) }) == 3)
        #expect(try maxSurge(ProtoWriter.message { $0.field(1, int: 1); $0.field(3, string: "50%") }) == "50%")
        #expect(try maxSurge([]) == 0)
    }

    @Test("named slices (Verbs, ExtraValue) become plain arrays")
    func wrappers() throws {
        let raw = ProtoWriter.message { review in
            review.field(2) { spec in
                spec.field(3, string: "alice")
                spec.field(5) { entry in
                    entry.field(1, string: "scopes")
                    entry.field(2) { values in
                        values.field(1, string: "read")
                        values.field(1, string: "write")
                    }
                }
            }
        }
        let decoded = try KubernetesProtobuf.decode(
            protobufBody(apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", raw: raw))
        #expect(decoded.value(at: ["spec", "user"]) == "alice")
        #expect(decoded.value(at: ["spec", "extra", "scopes"]) == ["read", "write"])
    }
}
