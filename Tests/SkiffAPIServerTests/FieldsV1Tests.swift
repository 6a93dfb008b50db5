import SkiffAPI
@testable import SkiffServerCodecs
@testable import SkiffAPIServer
import Testing

@Suite struct FieldsV1Tests {
    let registry = SchemaRegistry(source: EmbeddedOpenAPI.schemaSource)

    let deployment: JSONValue = [
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": ["name": "web", "namespace": "default", "uid": "u", "labels": ["app": "web"]],
        "spec": ["replicas": 2, "selector": ["matchLabels": ["app": "web"]],
                 "template": ["metadata": ["labels": ["app": "web"]],
                              "spec": ["containers": [["name": "web", "image": "busybox", "command": ["sleep", "1"],
                                                       "ports": [["containerPort": 80, "protocol": "TCP"]]]],
                                       "tolerations": [["key": "k", "operator": "Exists"]]]]],
        "status": ["replicas": 2],
    ]

    @Test func oneTreeTwoWays() throws {
        let schema = try #require(registry.schema(for: GroupVersionKind(group: "apps", version: "v1", kind: "Deployment")))
        let direct = FieldsV1.tree(of: deployment, schema: schema, skipStatus: true)
        let viaPaths = FieldsV1.encode(Set(FieldSetWalker(deployment, schema: schema, skipStatus: true).entries.keys))
        #expect(direct == viaPaths)
        let containers = direct["f:spec"]?["f:template"]?["f:spec"]?["f:containers"]
        #expect(containers?[#"k:{"name":"web"}"#]?["."] == [:])
        #expect(containers?[#"k:{"name":"web"}"#]?["f:ports"]?[#"k:{"containerPort":80,"protocol":"TCP"}"#]?["f:protocol"] == [:])
        #expect(direct["f:metadata"]?["f:labels"] == [".": [:], "f:app": [:]])
        #expect(direct["f:metadata"]?["f:name"] == nil)
        #expect(direct["f:status"] == nil)
        #expect(FieldsV1.decode(direct) == Set(FieldSetWalker(deployment, schema: schema, skipStatus: true).entries.keys))
    }

    @Test func conflictPathsPrintAsUpstream() {
        #expect(FieldsV1.display(["f:spec", "f:replicas"]) == ".spec.replicas")
        #expect(FieldsV1.display(["f:spec", #"k:{"name":"web"}"#, "f:image"]) == #".spec[name="web"].image"#)
    }
}
