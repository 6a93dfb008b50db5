import SkiffAPIModels
import SkiffJSON
import Testing

@Suite struct ModelConstructionTests {
    @Test func aNewObjectCarriesItsKindAndOmitsNilMembers() {
        let pod = core.v1.Pod(metadata: .init(name: "x"))
        #expect(pod.json == ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "x"]])
        #expect(apps.v1.Deployment.apiVersion == "apps/v1")
        #expect(events.v1.Event.kind == "Event")
        #expect(autoscaling.v2.HorizontalPodAutoscaler.apiVersion == "autoscaling/v2")
        #expect(rbac.v1.Role.kind == "Role")
    }

    @Test func requiredMembersAreWrittenEvenWhenEmpty() {
        let spec = apps.v1.DeploymentSpec(selector: .init(), template: .init())
        #expect(spec.json == ["selector": [:], "template": [:]])
        #expect(core.v1.PodSpec(containers: []).json == ["containers": []])
    }

    @Test func genericCodeReadsMetadataThroughTheProtocol() throws {
        func key(_ object: some KubernetesObject) -> String { "\(object.namespace ?? "")/\(object.name ?? "")" }
        #expect(key(try core.v1.Pod(json: JSONValue(parsing: podJSON))) == "default/web-7d4b9c8f6d-x2k8p")
        #expect(key(coordination.v1.Lease(metadata: .init(name: "l", namespace: "kube-node-lease"))) == "kube-node-lease/l")
        #expect(type(of: apps.v1.Deployment.List(items: [])).kind == "DeploymentList")
    }

    @Test func editsAreValueSemantics() throws {
        let original = try apps.v1.Deployment(json: JSONValue(parsing: deploymentJSON))
        var scaled = original
        scaled.spec?.replicas = 5
        #expect(original.spec?.replicas == 3)
        #expect(scaled.json["spec"]?["replicas"] == 5)
        #expect(scaled != original)
    }
}
