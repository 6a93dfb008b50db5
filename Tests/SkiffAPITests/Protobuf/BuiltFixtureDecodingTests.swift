import SkiffAPI
@testable import SkiffServerCodecs
import Testing

/// Bodies encoded from the upstream .proto files (Tools/protogen/fixtures/make_fixtures.py), decoded and compared
/// with the JSON Go's encoding/json writes for the same objects, member order included. Go writes
/// `"creationTimestamp":null` for an unset time; the decoder leaves such members out.
@Suite("Kubernetes protobuf: objects encoded from the upstream definitions")
struct BuiltFixtureDecodingTests {
    @Test("ConfigMap: maps sorted, binaryData base64, managedFields with FieldsV1 and time, zero values omitted")
    func configMap() throws {
        #expect(try decodedJSONText(fixtureBytes(BuiltProtobufFixtures.configMap)) == """
            {"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"settings","namespace":"default",\
            "labels":{"app":"web","tier":"frontend"},"annotations":{"note":"über ✓"},\
            "managedFields":[{"manager":"kubectl-create","operation":"Update","apiVersion":"v1",\
            "time":"2023-11-14T22:13:20Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{".":{},"f:a":{}}}}]},\
            "immutable":false,"data":{"a":"b","config.yaml":"key: value\\n","empty":""},\
            "binaryData":{"logo.bin":"iVBORwAB"}}
            """)
    }

    @Test("Secret: binary data values become base64, empty values stay")
    func secret() throws {
        #expect(try decodedJSONText(fixtureBytes(BuiltProtobufFixtures.secret)) == """
            {"kind":"Secret","apiVersion":"v1","metadata":{"name":"creds","namespace":"team-a"},\
            "data":{"blob":"AAEC//4gYmluYXJ5","none":"","password":"czNjcjN0"},"type":"Opaque"}
            """)
    }

    @Test("Namespace: an empty status stays an empty object")
    func namespace() throws {
        #expect(try decodedJSONText(fixtureBytes(BuiltProtobufFixtures.namespace)) == """
            {"kind":"Namespace","apiVersion":"v1","metadata":{"name":"team-a","labels":{"team":"a"}},\
            "spec":{"finalizers":["kubernetes"]},"status":{}}
            """)
    }

    @Test("Deployment: replicas 0 kept, ports, quantities, int-or-string probe ports, inline volume sources")
    func deployment() throws {
        let container = """
            {"name":"nginx","image":"nginx:1.27","ports":[{"name":"http","containerPort":80,"protocol":"TCP"},\
            {"containerPort":9090,"protocol":"UDP"}],"env":[{"name":"MODE","value":"prod"},\
            {"name":"POD_IP","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"status.podIP"}}}],\
            "resources":{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"250m","memory":"64Mi"}},\
            "volumeMounts":[{"name":"config","readOnly":true,"mountPath":"/etc/web"}],\
            "livenessProbe":{"httpGet":{"path":"/healthz","port":8080,"scheme":"HTTP"},"timeoutSeconds":1,\
            "periodSeconds":10,"successThreshold":1,"failureThreshold":3},\
            "readinessProbe":{"tcpSocket":{"port":"http"},"initialDelaySeconds":5,"timeoutSeconds":1,\
            "periodSeconds":10,"successThreshold":1,"failureThreshold":3},\
            "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",\
            "imagePullPolicy":"IfNotPresent"}
            """
        #expect(try decodedJSONText(fixtureBytes(BuiltProtobufFixtures.deployment)) == """
            {"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","namespace":"default",\
            "creationTimestamp":"2023-11-14T22:13:20Z","labels":{"app":"web"},\
            "annotations":{"deployment.kubernetes.io/revision":"1"}},\
            "spec":{"replicas":0,"selector":{"matchLabels":{"app":"web"}},\
            "template":{"metadata":{"labels":{"app":"web"}},"spec":{\
            "volumes":[{"name":"config","configMap":{"name":"settings","defaultMode":420}}],\
            "containers":[\(container)],"restartPolicy":"Always","terminationGracePeriodSeconds":30,\
            "dnsPolicy":"ClusterFirst","securityContext":{},"schedulerName":"default-scheduler"}},\
            "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":1}},\
            "revisionHistoryLimit":10,"progressDeadlineSeconds":600},"status":{}}
            """)
    }

    @Test("Job: pointer fields set to zero (ttlSecondsAfterFinished 0, suspend false) are kept")
    func job() throws {
        #expect(try decodedJSONText(fixtureBytes(BuiltProtobufFixtures.job)) == """
            {"kind":"Job","apiVersion":"batch/v1","metadata":{"name":"pi","namespace":"default"},\
            "spec":{"parallelism":1,"completions":1,"activeDeadlineSeconds":600,"backoffLimit":6,\
            "template":{"metadata":{},"spec":{"containers":[{"name":"pi","image":"perl:5.34",\
            "command":["perl","-Mbignum=bpi","-wle","print bpi(20)"],"resources":{}}],"restartPolicy":"Never"}},\
            "ttlSecondsAfterFinished":0,"suspend":false},"status":{}}
            """)
    }

    @Test("Eviction: deleteOptions with gracePeriodSeconds 0")
    func eviction() throws {
        #expect(try decodedJSONText(fixtureBytes(BuiltProtobufFixtures.eviction)) == """
            {"kind":"Eviction","apiVersion":"policy/v1","metadata":{"name":"web-7d4b9c-x2x5q","namespace":"default"},\
            "deleteOptions":{"gracePeriodSeconds":0,"preconditions":{"uid":"6b1f0e7c-0000-4000-8000-000000000001"},\
            "dryRun":["All"]}}
            """)
    }

    @Test("Lease: MicroTime keeps microseconds (truncated), leaseTransitions 0 kept")
    func lease() throws {
        #expect(try decodedJSONText(fixtureBytes(BuiltProtobufFixtures.lease)) == """
            {"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":"node-1",\
            "namespace":"kube-node-lease"},"spec":{"holderIdentity":"node-1","leaseDurationSeconds":40,\
            "acquireTime":"2023-11-14T22:13:20.123456Z","renewTime":"2023-11-14T22:14:00.000000Z",\
            "leaseTransitions":0}}
            """)
    }

    @Test("ControllerRevision: RawExtension data is the JSON it holds")
    func controllerRevision() throws {
        #expect(try decodedJSONText(fixtureBytes(BuiltProtobufFixtures.controllerRevision)) == """
            {"kind":"ControllerRevision","apiVersion":"apps/v1","metadata":{"name":"web-5d8f","namespace":"default"},\
            "data":{"spec":{"template":{"metadata":{"labels":{"app":"web"}}}}},"revision":3}
            """)
    }

    @Test("CustomResourceDefinition: schema unions, x-kubernetes names, JSON defaults and doubles")
    func customResourceDefinition() throws {
        let decoded = try KubernetesProtobuf.decode(fixtureBytes(BuiltProtobufFixtures.customResourceDefinition))
        let expected = try JSONValue(parsing: """
            {"kind":"CustomResourceDefinition","apiVersion":"apiextensions.k8s.io/v1",
             "metadata":{"name":"widgets.example.com"},
             "spec":{"group":"example.com",
              "names":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList"},
              "scope":"Namespaced",
              "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{
                "type":"object","properties":{
                  "spec":{"type":"object","required":["size"],"properties":{
                    "labels":{"type":"object","additionalProperties":{"type":"string"}},
                    "port":{"anyOf":[{"type":"integer"},{"type":"string"}],"x-kubernetes-int-or-string":true},
                    "size":{"type":"integer","default":3,"maximum":10,"minimum":1},
                    "tags":{"type":"array","items":{"type":"string"},"x-kubernetes-list-type":"set"}}},
                  "status":{"type":"object","additionalProperties":false,
                    "x-kubernetes-preserve-unknown-fields":true}}}}}]}}
            """)
        #expect(decoded == expected)
        let spec = decoded.value(at: ["spec", "versions"])?[0]?.value(at: ["schema", "openAPIV3Schema", "properties"])
        #expect(spec?.value(at: ["spec", "properties", "size", "maximum"]) == .double(10))
    }
}
