import SkiffAPIModels
import SkiffJSON
import Testing

@Suite struct CustomResourceDefinitionTests {
    static let crd = #"""
        {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
         "metadata": {"name": "widgets.example.com"},
         "spec": {"group": "example.com", "scope": "Namespaced",
          "names": {"kind": "Widget", "listKind": "WidgetList", "plural": "widgets", "singular": "widget"},
          "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
           "schema": {"openAPIV3Schema": {"type": "object", "properties": {
             "spec": {"type": "object", "required": ["size"], "properties": {
               "size": {"type": "integer", "minimum": 1, "default": 3},
               "tags": {"type": "array", "items": {"type": "string"}},
               "labels": {"type": "object", "additionalProperties": {"type": "string"}},
               "port": {"x-kubernetes-int-or-string": true, "not": {"type": "string", "pattern": "^$"}},
               "raw": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
             "status": {"type": "object", "additionalProperties": false}}}}}]}}
        """#

    @Test func decodesNestedSchemasAndRoundTrips() throws {
        let input = try JSONValue(parsing: Self.crd)
        let crd = try apiextensions.v1.CustomResourceDefinition(json: input)
        let version = try #require(crd.spec.versions.first)
        #expect(version.subresources?.status == apiextensions.v1.CustomResourceSubresourceStatus())
        let spec = try #require(version.schema?.openAPIV3Schema?.properties?["spec"])
        #expect(spec.required == ["size"])
        #expect(spec.properties?["size"]?.default == 3)
        #expect(spec.properties?["size"]?.minimum == 1)
        #expect(spec.properties?["tags"]?.items == .schema(.init(type: "string")))
        #expect(spec.properties?["labels"]?.additionalProperties == .schema(.init(type: "string")))
        #expect(spec.properties?["port"]?.xKubernetesIntOrString == true)
        #expect(spec.properties?["port"]?.not?.pattern == "^$")
        #expect(spec.properties?["raw"]?.xKubernetesPreserveUnknownFields == true)
        let status = version.schema?.openAPIV3Schema?.properties?["status"]
        #expect(status?.additionalProperties == .bool(false))
        #expect(crd.json == input)
    }

    @Test func aSchemaCanHoldItselfThroughNot() {
        var schema = apiextensions.v1.JSONSchemaProps(type: "object")
        schema.not = apiextensions.v1.JSONSchemaProps(not: .init(type: "string"))
        let copy = schema
        schema.not?.not?.type = "integer"
        #expect(copy.not?.not?.type == "string")
        #expect(schema.json == ["not": ["not": ["type": "integer"]], "type": "object"])
    }
}
