import SkiffAPIModels
import SkiffJSON
import Testing

@Suite struct DecodingErrorTests {
    private func decodingError<T: JSONValueConvertible>(_ type: T.Type, _ json: JSONValue) -> ModelDecodingError? {
        do {
            _ = try T(json: json)
            return nil
        } catch {
            return error
        }
    }

    @Test func aTypeMismatchNamesTheFieldPath() {
        let json: JSONValue = ["spec": ["replicas": "three", "selector": [:], "template": [:]]]
        let error = decodingError(apps.v1.Deployment.self, json)
        #expect(error?.path == "spec.replicas")
        #expect(error?.isTypeMismatch == true)
        #expect(error?.description == "spec.replicas: expected integer, found string")
    }

    @Test func pathsIncludeArrayIndexesAndMapKeys() throws {
        var json = try JSONValue(parsing: podJSON)
        json.setValue("eighty", at: ["spec", "containers"])
        #expect(decodingError(core.v1.Pod.self, json)?.path == "spec.containers")

        json = try JSONValue(parsing: podJSON)
        var containers = json["spec"]?["containers"]?.arrayValue ?? []
        containers[0]["ports"] = [["containerPort": 80], ["containerPort": true]]
        containers[0]["resources"] = ["limits": ["cpu": "lots"]]
        json.setValue(.array(containers), at: ["spec", "containers"])
        #expect(decodingError(core.v1.Pod.self, json)?.path == "spec.containers[0].ports[1].containerPort")

        containers[0]["ports"] = nil
        json.setValue(.array(containers), at: ["spec", "containers"])
        let error = decodingError(core.v1.Pod.self, json)
        #expect(error?.path == "spec.containers[0].resources.limits[cpu]")
        #expect(error?.isInvalidValue == true)
    }

    @Test func aMissingRequiredObjectIsAnErrorAndAMissingScalarIsItsZero() throws {
        let noSelector: JSONValue = ["spec": ["template": [:]]]
        let error = decodingError(apps.v1.Deployment.self, noSelector)
        #expect(error?.path == "spec.selector")
        #expect(error?.isMissingField == true)

        // Go leaves a zero value where a required scalar or list is missing or null.
        let port = try core.v1.ContainerPort(json: [:])
        #expect(port.containerPort == 0)
        let spec = try core.v1.PodSpec(json: ["containers": nil])
        #expect(spec.containers == [])
    }

    @Test func unknownMembersAreIgnored() throws {
        let lease = try coordination.v1.Lease(json: ["spec": ["holderIdentity": "a", "futureField": 1], "extra": true])
        #expect(lease.spec?.holderIdentity == "a")
        #expect(lease.json == ["spec": ["holderIdentity": "a"]])
    }

    @Test func aDocumentThatIsNotAnObjectIsRefused() {
        let error = decodingError(core.v1.Pod.self, "pod")
        #expect(error?.path == "")
        #expect(error?.description == "expected object, found string")
        #expect(decodingError(core.v1.Pod.self, ["metadata": ["labels": ["a": 1]]])?.path == "metadata.labels[a]")
        #expect(decodingError(core.v1.ContainerPort.self, ["containerPort": 4_294_967_296])?.isInvalidValue == true)
    }
}
