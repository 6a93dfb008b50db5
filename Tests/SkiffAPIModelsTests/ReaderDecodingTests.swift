import SkiffAPIModels
import SkiffJSON
import Testing

/// `init(reader:)` (straight from bytes) gives what `init(json:)` gives: the same models, and the same errors
/// at the same paths, on the fixtures and on every malformed shape `DecodingErrorTests` uses.
@Suite struct ReaderDecodingTests {
    private func bothWays<T: JSONValueConvertible & Equatable>(_ type: T.Type, _ json: JSONValue,
                                                               sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        let bytes = json.serialized()
        var fromTree: Result<T, ModelDecodingError>
        do { fromTree = .success(try T(json: json)) } catch { fromTree = .failure(error) }
        var fromBytes: Result<T, ModelDecodingError>
        do {
            fromBytes = .success(try T(jsonBytes: bytes))
        } catch let error as ModelDecodingError {
            fromBytes = .failure(error)
        } catch {
            Issue.record("not a ModelDecodingError: \(error)", sourceLocation: sourceLocation)
            return nil
        }
        #expect(fromTree == fromBytes, sourceLocation: sourceLocation)
        if case .failure(let error) = fromBytes { return error.description }
        return nil
    }

    @Test func fixturesDecodeToTheSameModels() throws {
        for text in [podJSON, deploymentJSON, nodeJSON, leaseJSON] {
            let json = try JSONValue(parsing: Array(text.utf8))
            #expect(bothWays(core.v1.Pod.self, json) == nil || json["kind"] != "Pod")
            #expect(bothWays(apps.v1.Deployment.self, json) == nil || json["kind"] != "Deployment")
            #expect(bothWays(core.v1.Node.self, json) == nil || json["kind"] != "Node")
            #expect(bothWays(coordination.v1.Lease.self, json) == nil || json["kind"] != "Lease")
        }
        let pod = try core.v1.Pod(jsonBytes: Array(podJSON.utf8))
        #expect(pod.metadata?.name?.isEmpty == false)
        #expect(pod.spec?.containers.isEmpty == false)
    }

    @Test func errorsAreTheSameAtTheSamePaths() throws {
        #expect(bothWays(apps.v1.Deployment.self, ["spec": ["replicas": "three", "selector": [:], "template": [:]]])
                == "spec.replicas: expected integer, found string")
        var json = try JSONValue(parsing: Array(podJSON.utf8))
        json.setValue("eighty", at: ["spec", "containers"])
        #expect(bothWays(core.v1.Pod.self, json) == "spec.containers: expected array, found string")
        json = try JSONValue(parsing: Array(podJSON.utf8))
        var containers = json["spec"]?["containers"]?.arrayValue ?? []
        containers[0]["ports"] = [["containerPort": 80], ["containerPort": true]]
        json.setValue(.array(containers), at: ["spec", "containers"])
        #expect(bothWays(core.v1.Pod.self, json)?.hasPrefix("spec.containers[0].ports[1].containerPort") == true)
        containers[0]["ports"] = nil
        containers[0]["resources"] = ["limits": ["cpu": "lots"]]
        json.setValue(.array(containers), at: ["spec", "containers"])
        #expect(bothWays(core.v1.Pod.self, json)?.hasPrefix("spec.containers[0].resources.limits[cpu]") == true)
        #expect(bothWays(apps.v1.Deployment.self, ["spec": ["template": [:]]]) == "spec.selector: required field is missing")
        #expect(bothWays(core.v1.ContainerPort.self, [:]) == nil)
        #expect(bothWays(core.v1.PodSpec.self, ["containers": nil, "nodeName": nil]) == nil)
        #expect(bothWays(coordination.v1.Lease.self, ["spec": ["holderIdentity": "a", "futureField": [1, [:], [], ["x": [nil]]]], "extra": true]) == nil)
        #expect(bothWays(core.v1.Pod.self, "pod") == "expected object, found string")
        #expect(bothWays(core.v1.Pod.self, ["metadata": ["labels": ["a": 1]]]) == "metadata.labels[a]: expected string, found number")
        #expect(bothWays(core.v1.ContainerPort.self, ["containerPort": 4_294_967_296]) != nil)
        #expect(bothWays(core.v1.Pod.self, ["metadata": ["labels": [:], "annotations": ["k": "v"]], "spec": ["containers": []]]) == nil)
        // Times and quantities have readers of their own: same values, same errors.
        #expect(bothWays(meta.v1.ObjectMeta.self, ["creationTimestamp": "2026-12-07T10:00:00Z", "deletionTimestamp": nil]) == nil)
        #expect(bothWays(meta.v1.ObjectMeta.self, ["creationTimestamp": "2026-02-30T10:00:00Z"])?.hasPrefix("creationTimestamp") == true)
        #expect(bothWays(meta.v1.ObjectMeta.self, ["creationTimestamp": 5]) == "creationTimestamp: expected RFC 3339 time string, found number")
        #expect(bothWays(core.v1.ResourceRequirements.self, ["limits": ["cpu": " 100m ", "memory": 64, "gpu": 1.5]]) == nil)
        #expect(bothWays(core.v1.ResourceRequirements.self, ["limits": ["cpu": "lots"]]) == "limits[cpu]: invalid quantity \"lots\"")
    }

    @Test func bytesThatAreNotJSONAreAParseError() {
        for text in ["{\"metadata\":", "{\"metadata\":{}} x", "{\"spec\":{\"containers\":[}]}", "{\"a\" 1}", "{\"a\":[1,]}", ""] {
            #expect(throws: JSONParseError.self) { try core.v1.Pod(jsonBytes: Array(text.utf8)) }
        }
        // Escaped keys are still keys; a duplicate key's last value wins, as with the tree.
        let escaped = Array(#"{"metad\u0061ta":{"name":"a","name":"b"}}"#.utf8)
        #expect((try? core.v1.Pod(jsonBytes: escaped))?.metadata?.name == "b")
    }
}
