import SkiffAPI
@testable import SkiffAPIServer
import Testing

/// The per-kind definitions and the admission chain, without a server.
@Suite struct KindDefinitionTests {
    static let registry = BuiltinCatalog.registry(schemas: SchemaRegistry(source: BuiltinCatalog.schemaSource))

    /// A definition for a resource nobody serves (a typo in its group or name) would never apply: caught here.
    @Test func everyDefinitionBelongsToAServedResourceAndNoneTwice() {
        var seen = Set<String>()
        for definition in BuiltinKinds.definitions {
            let key = "\(definition.group)/\(definition.resource)"
            #expect(seen.insert(key).inserted, "\(key) is defined twice")
            #expect(Self.registry.resource(group: definition.group, resource: definition.resource) != nil, "\(key) is not served")
        }
    }

    @Test func servedResourcesUseTheirKindsDefinition() throws {
        let pods = try #require(Self.registry.resource(group: "", resource: "pods"))
        #expect(pods.strategy is PodStrategy)
        #expect(pods.fields.supported.contains("spec.nodeName"))
        #expect(pods.table.columns.map(\.name).contains("Restarts"))
        let services = try #require(Self.registry.resource(group: "", resource: "services"))
        #expect(services.definition.nameRule == .dns1035)
        // A version served from another's storage shares its definition.
        let hpaV1 = try #require(Self.registry.resource(group: "autoscaling", version: "v1", resource: "horizontalpodautoscalers"))
        #expect(hpaV1.table.columns.map(\.name).contains("Targets"))
        // A kind without a folder is generic: name and age.
        let limits = try #require(Self.registry.resource(group: "", resource: "limitranges"))
        #expect(limits.table.columns.map(\.name) == ["Name", "Age"])
    }

    @Test func updateChecksAreTheObjectsOwnThenTheUpdatesOwn() throws {
        let deployments = try #require(Self.registry.resource(group: "apps", resource: "deployments"))
        let old: JSONValue = ["spec": ["replicas": 1, "selector": ["matchLabels": ["app": "a"]],
                                       "template": ["metadata": ["labels": ["app": "a"]], "spec": ["containers": [["name": "c", "image": "i"]]]]]]
        var new = old
        new.setValue(-1, at: ["spec", "replicas"])
        new.setValue(["matchLabels": ["app": "b"]], at: ["spec", "selector"])
        new.setValue(["app": "b"], at: ["spec", "template", "metadata", "labels"])
        let fields = deployments.definition.validateUpdate(new, old: old).map(\.field)
        #expect(fields == ["spec.replicas", "spec.selector"])
        #expect(deployments.definition.validateUpdate(old, old: old).isEmpty)
    }

    // MARK: - Admission

    static func chain(_ namespaces: [String: JSONValue]) -> AdmissionChain {
        AdmissionChain.builtin(namespaces: { namespaces[$0] }, notReadyTolerationSeconds: 30, unreachableTolerationSeconds: 40)
    }

    @Test func namespaceLifecycleRefusesMissingAndTerminatingNamespaces() async throws {
        let configMaps = try #require(Self.registry.resource(group: "", resource: "configmaps"))
        let chain = Self.chain(["live": ["metadata": ["name": "live"], "status": ["phase": "Active"]],
                                "going": ["metadata": ["name": "going"], "status": ["phase": "Terminating"]]])
        var object: JSONValue = ["metadata": ["name": "c"]]
        try await chain.admitCreate(&object, resource: configMaps, namespace: "live")
        #expect(object == ["metadata": ["name": "c"]])
        do {
            try await chain.admitCreate(&object, resource: configMaps, namespace: "nowhere")
            Issue.record("a create in a missing namespace was admitted")
        } catch let error as APIError {
            #expect(error.code == 404 && error.message == "namespaces \"nowhere\" not found")
        }
        do {
            try await chain.admitCreate(&object, resource: configMaps, namespace: "going")
            Issue.record("a create in a terminating namespace was admitted")
        } catch let error as APIError {
            #expect(error.code == 403 && error.causes.map(\.reason) == ["NamespaceTerminating"])
        }
        // Updates and cluster-scoped objects are not asked about.
        let nodes = try #require(Self.registry.resource(group: "", resource: "nodes"))
        var node: JSONValue = ["metadata": ["name": "n"]]
        try await chain.admitCreate(&node, resource: nodes, namespace: nil)
        try await chain.admitUpdate(&object, old: ["metadata": ["name": "c", "namespace": "going"]], resource: configMaps)
    }

    @Test func podsGetTolerationsTheirServiceAccountAndPriority() async throws {
        let pods = try #require(Self.registry.resource(group: "", resource: "pods"))
        let chain = Self.chain(["default": ["metadata": ["name": "default"]]])
        var pod: JSONValue = ["metadata": ["name": "p"],
                              "spec": ["serviceAccount": "builder",
                                       "tolerations": [["key": "node.kubernetes.io/unreachable", "operator": "Exists"]]]]
        try await chain.admitCreate(&pod, resource: pods, namespace: "default")
        let tolerations = pod["spec"]?["tolerations"]?.arrayValue ?? []
        #expect(tolerations.count == 2)
        #expect(tolerations.last?["key"] == "node.kubernetes.io/not-ready" && tolerations.last?["tolerationSeconds"] == 30)
        #expect(pod["spec"]?["serviceAccountName"] == "builder" && pod["spec"]?["serviceAccount"] == "builder")
        #expect(pod["spec"]?["priority"] == 0 && pod["spec"]?["preemptionPolicy"] == "PreemptLowerPriority")
    }
}
