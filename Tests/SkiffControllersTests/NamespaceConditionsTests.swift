import SkiffAPI
@testable import SkiffControllers
import Testing

@Suite struct NamespaceConditionsTests {
    @Test func allWellWritesEveryConditionFalse() {
        let (conditions, changed) = NamespaceConditions().apply(to: [], now: "2024-01-01T00:00:00Z")
        #expect(changed)
        #expect(conditions.map(\.type) == NamespaceConditions.types)
        #expect(conditions.allSatisfy { $0.status == "False" })
        #expect(conditions.first { $0.type == "NamespaceContentRemaining" }?.reason == "ContentRemoved")
        // The same again changes nothing.
        #expect(!NamespaceConditions().apply(to: conditions, now: "2024-01-01T00:01:00Z").changed)
    }

    @Test func remainingContentAndFailuresAreReportedAsUpstreamWordsThem() {
        var updater = NamespaceConditions()
        updater.contentRemaining(resources: ["configmaps.": 2, "pods.": 0, "deployments.apps": 1],
                                 finalizers: ["example.com/hold": 2])
        updater.deleteContentFailed("b failed")
        updater.deleteContentFailed("a failed")
        let (conditions, _) = updater.apply(to: [], now: "2024-01-01T00:00:01Z")
        func condition(_ type: String) -> core.v1.NamespaceCondition? { conditions.first { $0.type == type } }
        #expect(condition("NamespaceContentRemaining")?.status == "True")
        #expect(condition("NamespaceContentRemaining")?.reason == "SomeResourcesRemain")
        #expect(condition("NamespaceContentRemaining")?.message ==
            "Some resources are remaining: configmaps. has 2 resource instances, deployments.apps has 1 resource instances")
        #expect(condition("NamespaceFinalizersRemaining")?.message ==
            "Some finalizers are remaining: example.com/hold in 2 resource instances")
        #expect(condition("NamespaceDeletionContentFailure")?.message ==
            "Failed to delete all resource types, 2 remaining: a failed, b failed")
        #expect(condition("NamespaceDeletionDiscoveryFailure")?.status == "False")
    }

    @Test func transitionTimeMovesOnlyWithTheStatus() {
        let t1: meta.v1.Time = "2024-01-01T00:00:01Z", t2: meta.v1.Time = "2024-01-01T00:00:02Z", t3: meta.v1.Time = "2024-01-01T00:00:03Z"
        var failing = NamespaceConditions()
        failing.contentRemaining(resources: ["configmaps.": 1], finalizers: [:])
        let (first, _) = failing.apply(to: [], now: t1)
        var stillFailing = NamespaceConditions()
        stillFailing.contentRemaining(resources: ["configmaps.": 3], finalizers: [:])
        let (second, changed) = stillFailing.apply(to: first, now: t2)
        #expect(changed)
        let remaining = second.first { $0.type == "NamespaceContentRemaining" }
        #expect(remaining?.lastTransitionTime == t1)
        #expect(remaining?.message == "Some resources are remaining: configmaps. has 3 resource instances")
        let (third, _) = NamespaceConditions().apply(to: second, now: t3)
        #expect(third.first { $0.type == "NamespaceContentRemaining" }?.lastTransitionTime == t3)
        #expect(third.first { $0.type == "NamespaceContentRemaining" }?.status == "False")
    }
}

@Suite struct DiscoveryParsingTests {
    @Test func aggregatedDiscoveryListsPreferredVersionsFirst() throws {
        let document = try JSONValue(parsing: Array("""
            {"kind":"APIGroupDiscoveryList","items":[
              {"metadata":{"name":"autoscaling"},"versions":[
                {"version":"v2","resources":[{"resource":"horizontalpodautoscalers","scope":"Namespaced",
                  "responseKind":{"group":"autoscaling","version":"v2","kind":"HorizontalPodAutoscaler"},
                  "verbs":["create","delete","get","list","watch"]}]},
                {"version":"v1","resources":[{"resource":"horizontalpodautoscalers","scope":"Namespaced",
                  "responseKind":{"group":"autoscaling","version":"v1","kind":"HorizontalPodAutoscaler"},
                  "verbs":["get","list"]}]}]},
              {"metadata":{"name":""},"versions":[{"version":"v1","resources":[
                {"resource":"namespaces","scope":"Cluster","responseKind":{"group":"","version":"v1","kind":"Namespace"},
                 "verbs":["delete","get","list","watch"]}]}]}]}
            """.utf8))
        var result = DiscoveredResources(all: [], preferred: [])
        ResourceDiscovery.parseAggregated(document, into: &result)
        #expect(result.all.count == 3)
        #expect(result.preferred.map(\.apiVersion) == ["autoscaling/v2", "v1"])
        #expect(result.preferred(supporting: ["list", "watch", "delete"]).map(\.resource)
            == ["horizontalpodautoscalers", "namespaces"])
        let mapper = result.mapper
        #expect(mapper.resource(apiVersion: "v1", kind: "Namespace")?.namespaced == false)
        #expect(mapper.resource(apiVersion: "autoscaling/v1", kind: "HorizontalPodAutoscaler")?.version == "v1")
        // A version the server does not serve maps to the preferred one of the group.
        #expect(mapper.resource(apiVersion: "autoscaling/v9", kind: "HorizontalPodAutoscaler")?.version == "v2")
        #expect(mapper.resource(apiVersion: "v1", kind: "Nothing") == nil)
    }

    @Test func legacyResourceListsSkipSubresources() throws {
        let list = try JSONValue(parsing: Array("""
            {"kind":"APIResourceList","groupVersion":"apps/v1","resources":[
              {"name":"deployments","namespaced":true,"kind":"Deployment","verbs":["delete","list","watch"]},
              {"name":"deployments/scale","namespaced":true,"kind":"Scale","verbs":["get","update"]}]}
            """.utf8))
        let resources = ResourceDiscovery.parseResourceList(list, groupVersion: "apps/v1")
        #expect(resources.map(\.description) == ["apps/v1/deployments"])
        #expect(resources.first?.objectPath(name: "web", namespace: "prod") == "/apis/apps/v1/namespaces/prod/deployments/web")
        let core = ResourceDiscovery.parseResourceList(
            ["resources": [["name": "nodes", "namespaced": false, "kind": "Node", "verbs": ["get"]]]], groupVersion: "v1")
        #expect(core.first?.objectPath(name: "n1", namespace: "ignored") == "/api/v1/nodes/n1")
    }

    @Test func theCollectorWatchesDeletableResourcesButNotEvents() {
        let collector = GarbageCollector()
        let verbs: Set<String> = ["list", "watch", "delete"]
        #expect(collector.watches(APIResource(group: "", version: "v1", resource: "configmaps", kind: "ConfigMap",
                                              namespaced: true, verbs: verbs)))
        #expect(!collector.watches(APIResource(group: "", version: "v1", resource: "events", kind: "Event",
                                               namespaced: true, verbs: verbs)))
        #expect(!collector.watches(APIResource(group: "events.k8s.io", version: "v1", resource: "events", kind: "Event",
                                               namespaced: true, verbs: verbs)))
        #expect(!collector.watches(APIResource(group: "", version: "v1", resource: "bindings", kind: "Binding",
                                               namespaced: true, verbs: ["create"])))
    }
}
