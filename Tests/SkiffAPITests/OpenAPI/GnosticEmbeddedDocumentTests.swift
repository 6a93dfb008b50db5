import SkiffAPI
@testable import SkiffServerCodecs
import Testing

/// The embedded Kubernetes OpenAPI v2 document, encoded once for all tests here.
enum GnosticEncodedEmbeddedSwagger {
    static let result = Result { () throws(GnosticEncodingError) -> [UInt8] in
        try GnosticEncoder.encode(swagger: EmbeddedOpenAPI.swaggerBytes)
    }

    static func document() throws -> DecodedGnosticProto { try DecodedGnosticProto(result.get()) }
}

// Field numbers below are those of gnostic-models `openapiv2/OpenAPIv2.proto`:
// Document: swagger 1, info 2, paths 8, definitions 9, parameters 10, security 12, security_definitions 13.
// Schema: _ref 1, description 4, required 19, additional_properties 21, type 22, items 23, properties 25,
// vendor_extension 31. Named*: name 1, value 2. Any: yaml 2.

@Suite("Gnostic encoding of the embedded OpenAPI v2 document")
struct OpenAPIGnosticEmbeddedDocumentTests {
    private func definition(_ name: String) throws -> DecodedGnosticProto {
        let definitions = try #require(try GnosticEncodedEmbeddedSwagger.document().message(9))
        return try #require(try definitions.named(1, name), "definition \(name)")
    }

    @Test("document header: swagger version, info, security")
    func header() throws {
        let document = try GnosticEncodedEmbeddedSwagger.document()
        #expect(document.string(1) == "2.0")
        let info = try #require(try document.message(2))
        #expect(info.string(1) == "Kubernetes")
        #expect(info.string(2) == "unversioned")

        let securityDefinitions = try #require(try document.message(13))
        let bearer = try #require(try securityDefinitions.named(1, "BearerToken"))
        // SecurityDefinitionsItem.api_key_security = 2: type 1, name 2, in 3, description 4.
        let apiKey = try #require(try bearer.message(2))
        #expect(apiKey.string(1) == "apiKey")
        #expect(apiKey.string(2) == "authorization")
        #expect(apiKey.string(3) == "header")
        #expect(apiKey.string(4) == "Bearer Token authentication")
        #expect(!bearer.has(1))

        // security: [{"BearerToken": []}] → SecurityRequirement { NamedStringArray { name, StringArray {} } }.
        let requirements = try document.messages(12)
        #expect(requirements.count == 1)
        let requirement = try #require(requirements.first)
        #expect(try requirement.names(1) == ["BearerToken"])
        let scopes = try #require(try requirement.named(1, "BearerToken"))
        #expect(scopes.strings(1).isEmpty)
    }

    @Test("every definition and path of the JSON document is encoded, in document order")
    func completeness() throws {
        let json = try JSONValue(parsing: EmbeddedOpenAPI.swaggerBytes)
        let document = try GnosticEncodedEmbeddedSwagger.document()
        let definitionNames = try #require(try document.message(9)).names(1)
        #expect(definitionNames == Array(try #require(json["definitions"]?.objectValue).keys))
        #expect(definitionNames.count > 600)
        let pathNames = try #require(try document.message(8)).names(2)
        #expect(pathNames == Array(try #require(json["paths"]?.objectValue).keys))
        let parameterNames = try #require(try document.message(10)).names(1)
        #expect(parameterNames == Array(try #require(json["parameters"]?.objectValue).keys))
    }

    @Test("PodSpec.containers carries its strategic-merge-patch extensions")
    func podSpecContainers() throws {
        let podSpec = try definition("io.k8s.api.core.v1.PodSpec")
        #expect(podSpec.strings(19).contains("containers"))
        #expect(try podSpec.message(22)?.strings(1) == ["object"])
        let properties = try #require(try podSpec.message(25))
        let containers = try #require(try properties.named(1, "containers"))
        #expect(try containers.extensionYAML(31, "x-kubernetes-patch-merge-key") == "name\n")
        #expect(try containers.extensionYAML(31, "x-kubernetes-patch-strategy") == "merge\n")
        #expect(try containers.extensionYAML(31, "x-kubernetes-list-type") == "map\n")
        #expect(try containers.extensionYAML(31, "x-kubernetes-list-map-keys") == "- name\n")
        #expect(try containers.message(22)?.strings(1) == ["array"])
        let items = try #require(try containers.message(23))
        let itemSchemas = try items.messages(1)
        #expect(itemSchemas.count == 1)
        #expect(itemSchemas.first?.string(1) == "#/definitions/io.k8s.api.core.v1.Container")
        #expect(containers.string(4).hasPrefix("List of containers belonging to the pod."))
    }

    @Test("Container.ports: a list-map with two keys; DeploymentSpec.strategy: retainKeys")
    func patchMetadata() throws {
        let containerPorts = try #require(try definition("io.k8s.api.core.v1.Container").message(25)?.named(1, "ports"))
        #expect(try containerPorts.extensionYAML(31, "x-kubernetes-patch-merge-key") == "containerPort\n")
        #expect(try containerPorts.extensionYAML(31, "x-kubernetes-list-map-keys") == "- containerPort\n- protocol\n")
        let strategy = try #require(
            try definition("io.k8s.api.apps.v1.DeploymentSpec").message(25)?.named(1, "strategy"))
        #expect(try strategy.extensionYAML(31, "x-kubernetes-patch-strategy") == "retainKeys\n")
    }

    @Test("Pod carries x-kubernetes-group-version-kind as a YAML list")
    func podGroupVersionKind() throws {
        let pod = try definition("io.k8s.api.core.v1.Pod")
        #expect(
            try pod.extensionYAML(31, "x-kubernetes-group-version-kind")
                == "- group: \"\"\n  kind: Pod\n  version: v1\n")
        let deployment = try definition("io.k8s.api.apps.v1.Deployment")
        #expect(
            try deployment.extensionYAML(31, "x-kubernetes-group-version-kind")
                == "- group: apps\n  kind: Deployment\n  version: v1\n"
        )
    }

    @Test("ObjectMeta.labels is a map of strings (additionalProperties)")
    func additionalProperties() throws {
        let labels = try #require(
            try definition("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta").message(25)?.named(1, "labels"))
        #expect(try labels.message(22)?.strings(1) == ["object"])
        // AdditionalPropertiesItem.schema = 1.
        let valueSchema = try #require(try labels.message(21)?.message(1))
        #expect(try valueSchema.message(22)?.strings(1) == ["string"])
    }

    @Test("/api/v1/namespaces/{namespace}/pods: operations, parameters, responses")
    func podsPath() throws {
        let paths = try #require(try GnosticEncodedEmbeddedSwagger.document().message(8))
        let pathItem = try #require(try paths.named(2, "/api/v1/namespaces/{namespace}/pods"))
        // PathItem: get 2, post 4, delete 5, parameters 9. Operation: tags 1, operation_id 5, produces 6,
        // parameters 8, responses 9, schemes 10, vendor_extension 13.
        let list = try #require(try pathItem.message(2))
        #expect(list.string(5) == "listCoreV1NamespacedPod")
        #expect(list.strings(1) == ["core_v1"])
        #expect(list.strings(10) == ["https"])
        #expect(list.strings(6).contains("application/json"))
        #expect(try list.extensionYAML(13, "x-kubernetes-action") == "list\n")
        #expect(
            try list.extensionYAML(13, "x-kubernetes-group-version-kind") == "group: \"\"\nkind: Pod\nversion: v1\n")
        #expect(try pathItem.message(4)?.string(5) == "createCoreV1NamespacedPod")
        #expect(try pathItem.message(5)?.string(5) == "deleteCoreV1CollectionNamespacedPod")
        #expect(!pathItem.has(3))

        // Path-level parameters are references: ParametersItem.json_reference = 2, _ref = 1.
        let pathParameters = try pathItem.messages(9)
        #expect(
            try pathParameters.map { try $0.message(2)?.string(1) } == [
                "#/parameters/namespace-vgWSWtn3", "#/parameters/pretty-tJGM1-ng",
            ])

        // Responses.response_code = 1 → ResponseValue.response = 1 → Response { description 1, schema 2 }.
        let responses = try #require(try list.message(9))
        #expect(try responses.names(1) == ["200", "401"])
        let ok = try #require(try responses.named(1, "200")?.message(1))
        #expect(ok.string(1) == "OK")
        #expect(try ok.message(2)?.message(1)?.string(1) == "#/definitions/io.k8s.api.core.v1.PodList")

        // POST's inline parameters: ParametersItem.parameter = 1 → Parameter.body_parameter = 1 or non_body = 2.
        let create = try #require(try pathItem.message(4))
        let parameters = try create.messages(8).compactMap { try $0.message(1) }
        let body = try #require(try parameters.first?.message(1))
        #expect(body.string(2) == "body")
        #expect(body.string(3) == "body")
        #expect(body.varint(4) == 1)
        #expect(try body.message(5)?.string(1) == "#/definitions/io.k8s.api.core.v1.Pod")
        // NonBodyParameter.query_parameter_sub_schema = 3: in 2, name 4, type 6, unique_items 20.
        let dryRun = try #require(
            try parameters.compactMap { try $0.message(2)?.message(3) }.first { $0.string(4) == "dryRun" })
        #expect(dryRun.string(2) == "query")
        #expect(dryRun.string(6) == "string")
        #expect(dryRun.varint(20) == 1)
    }

    @Test("shared parameter definitions keep their kind: body or query")
    func sharedParameters() throws {
        let parameters = try #require(try GnosticEncodedEmbeddedSwagger.document().message(10))
        let body = try #require(try parameters.named(1, "body-2Y1dVQaQ")?.message(1))
        #expect(try body.message(5)?.string(1) == "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions")
        let bookmarks = try #require(try parameters.named(1, "allowWatchBookmarks-HC2hJt-J")?.message(2)?.message(3))
        #expect(bookmarks.string(4) == "allowWatchBookmarks")
        #expect(bookmarks.string(6) == "boolean")
    }
}
