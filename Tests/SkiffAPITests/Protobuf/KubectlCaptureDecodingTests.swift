import SkiffAPI
@testable import SkiffServerCodecs
import Testing

/// What kubectl 1.32 really sends (Tools/protogen/fixtures/capture_kubectl.py): every body decodes, and where
/// kubectl could print the same object (`--dry-run=client -o json`, Go's own JSON encoding) the decoded JSON
/// equals it, member order included, less the `null` members Go writes for unset times.
@Suite("Kubernetes protobuf: bodies captured from kubectl 1.32")
struct KubectlCaptureDecodingTests {
    @Test(
        "each captured body decodes to Go's JSON for the same object",
        arguments: KubectlProtobufFixtures.all.map(\.name))
    func matchesGoJSON(name: String) throws {
        let capture = try #require(KubectlProtobufFixtures.all.first { $0.name == name })
        let decoded = try KubernetesProtobuf.decode(fixtureBytes(capture.body))
        guard let goJSON = capture.goJSON else {
            #expect(decoded["kind"] != nil)
            return
        }
        let expected = removingNullMembers(try JSONValue(parsing: goJSON))
        #expect(decoded.jsonString == expected.jsonString)
    }

    @Test("kubectl create configmap x --from-literal=a=b")
    func configMap() throws {
        let capture = try #require(KubectlProtobufFixtures.all.first { $0.name == "createConfigMap" })
        #expect(try decodedJSONText(fixtureBytes(capture.body))
            == #"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x"},"data":{"a":"b"}}"#)
    }

    @Test("kubectl create deployment web --image=nginx --replicas=0")
    func deployment() throws {
        let capture = try #require(KubectlProtobufFixtures.all.first { $0.name == "createDeployment" })
        #expect(try decodedJSONText(fixtureBytes(capture.body)) == """
            {"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","labels":{"app":"web"}},\
            "spec":{"replicas":0,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":\
            {"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx","resources":{}}]}},\
            "strategy":{}},"status":{}}
            """)
    }

    @Test("kubectl create token: a TokenRequest with expirationSeconds")
    func token() throws {
        let capture = try #require(KubectlProtobufFixtures.all.first { $0.name == "createToken" })
        let decoded = try KubernetesProtobuf.decode(fixtureBytes(capture.body))
        #expect(decoded["kind"] == "TokenRequest")
        #expect(decoded["apiVersion"] == "authentication.k8s.io/v1")
        #expect(decoded.value(at: ["spec", "expirationSeconds"]) == 600)
    }
}
