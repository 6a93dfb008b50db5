import Foundation
import Testing
@testable import SkiffAPIServer
import SkiffAPI
@testable import SkiffServerCodecs

@Suite struct SchemaCheckerTests {
    static let registry: SchemaRegistry = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("api/openapi/swagger.json")
        let document = (try? Data(contentsOf: url)).flatMap { try? JSONValue(parsing: Array($0)) } ?? [:]
        return SchemaRegistry(source: DocumentSchemaSource(document: document))
    }()

    func schema(_ group: String, _ kind: String) throws -> Schema {
        try #require(Self.registry.schema(for: GroupVersionKind(group: group, version: "v1", kind: kind)))
    }

    @Test func reportsAndPrunesUnknownFieldsWithTheirPaths() throws {
        var pod: JSONValue = try JSONValue(parsing: #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","bogus":1},"spec":{"containers":[{"name":"c","image":"i","imagee":"x"}]},"extra":true}"#)
        let result = SchemaChecker.check(&pod, schema: try schema("", "Pod"))
        #expect(result.unknownFields.sorted() == ["extra", "metadata.bogus", "spec.containers[0].imagee"])
        #expect(result.typeErrors.isEmpty)
        #expect(pod["extra"] == nil)
        #expect(pod["spec"]?["containers"]?[0]?["imagee"] == nil)
    }

    @Test func wordsTypeMismatchesAsGo() throws {
        var deployment = try JSONValue(parsing: #"{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":"two"}}"#)
        let result = SchemaChecker.check(&deployment, schema: try schema("apps", "Deployment"))
        #expect(result.typeErrors == ["json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"])
    }

    @Test func keepsQuantitiesAndIntOrString() throws {
        var pod = try JSONValue(parsing: #"{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":1,"memory":"1Gi"}},"ports":[{"containerPort":80}],"livenessProbe":{"httpGet":{"port":"http"}}}]}}"#)
        let result = SchemaChecker.check(&pod, schema: try schema("", "Pod"))
        #expect(result.typeErrors.isEmpty)
        #expect(pod["spec"]?["containers"]?[0]?["resources"]?["limits"]?["cpu"] == "1")
        #expect(pod["spec"]?["containers"]?[0]?["livenessProbe"]?["httpGet"]?["port"] == "http")
    }

    @Test func refusesInt32Overflow() throws {
        var deployment = try JSONValue(parsing: #"{"spec":{"replicas":99999999999}}"#)
        let result = SchemaChecker.check(&deployment, schema: try schema("apps", "Deployment"))
        #expect(result.typeErrors.first?.contains("cannot unmarshal number 99999999999") == true)
    }

    @Test func removesEveryUnknownAndNullMemberOfOneObject() throws {
        var pod = try JSONValue(parsing: #"{"metadata":{"a":1,"name":"x","b":2,"labels":null,"c":{"d":[1]}},"spec":{"containers":[{"name":"c","env":[{"name":"e","valueFrom":{"x":1}}]}]}}"#)
        let result = SchemaChecker.check(&pod, schema: try schema("", "Pod"))
        #expect(result.unknownFields == ["metadata.a", "metadata.b", "metadata.c", "spec.containers[0].env[0].valueFrom.x"])
        #expect(pod["metadata"] == ["name": "x"])
    }
}
