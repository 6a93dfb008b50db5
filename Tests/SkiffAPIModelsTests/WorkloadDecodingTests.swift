import SkiffAPIModels
import SkiffJSON
import Testing

@Suite struct WorkloadDecodingTests {
    @Test func decodesADeployment() throws {
        let input = try JSONValue(parsing: deploymentJSON)
        let deployment = try apps.v1.Deployment(json: input)
        #expect(deployment.name == "web")
        #expect(deployment.namespace == "default")
        #expect(deployment.metadata?.labels?["app.kubernetes.io/part-of"] == "shop")
        #expect(deployment.metadata?.generation == 3)
        #expect(deployment.metadata?.creationTimestamp?.date?.timeIntervalSince1970 == 1_741_944_413)
        let spec = try #require(deployment.spec)
        #expect(spec.replicas == 3)
        #expect(spec.selector.matchLabels == ["app": "web"])
        #expect(spec.strategy?.rollingUpdate?.maxSurge == .string("25%"))
        #expect(spec.strategy?.rollingUpdate?.maxUnavailable == .int(1))
        let container = try #require(spec.template.spec?.containers.first)
        #expect(container.image == "nginx:1.27")
        #expect(container.ports?.first?.containerPort == 80)
        #expect(container.resources?.requests?["cpu"]?.milliValue == 100)
        #expect(container.resources?.limits?["memory"]?.value == 268_435_456)
        #expect(spec.template.spec?.securityContext == core.v1.PodSecurityContext())
        #expect(deployment.status?.conditions?.map(\.type) == ["Available", "Progressing"])
        #expect(deployment.json == input)
    }

    @Test func decodesAPodWithResourcesProbesAffinityAndTolerations() throws {
        let input = try JSONValue(parsing: podJSON)
        let pod = try core.v1.Pod(json: input)
        let spec = try #require(pod.spec)
        let web = try #require(spec.containers.first)
        #expect(web.resources?.requests?["cpu"]?.milliValue == 250)
        #expect(web.resources?.limits?["memory"] == "512Mi")
        #expect(web.livenessProbe?.httpGet?.port == 8080)
        #expect(web.livenessProbe?.httpGet?.path == "/healthz")
        #expect(web.readinessProbe?.tcpSocket?.port == "http")
        #expect(web.env?[1].valueFrom?.fieldRef?.fieldPath == "status.podIP")
        let term = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms.first
        #expect(term?.matchExpressions?.first?.values == ["amd64", "arm64"])
        let preferred = spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.first
        #expect(preferred?.weight == 100)
        #expect(preferred?.podAffinityTerm.topologyKey == "kubernetes.io/hostname")
        #expect(spec.tolerations?.map(\.key) == ["node.kubernetes.io/not-ready", "dedicated"])
        #expect(spec.tolerations?.first?.tolerationSeconds == 300)
        #expect(spec.volumes?.first?.projected?.sources?.count == 2)
        #expect(pod.metadata?.ownerReferences?.first?.controller == true)
        #expect(pod.status?.containerStatuses?.first?.state?.running?.startedAt == "2025-03-14T09:26:54Z")
        #expect(pod.status?.containerStatuses?.first?.lastState == core.v1.ContainerState())
        #expect(pod.json == input)
    }

    @Test func decodesANodeWithStatus() throws {
        let input = try JSONValue(parsing: nodeJSON)
        let node = try core.v1.Node(json: input)
        #expect(node.namespace == nil)
        let status = try #require(node.status)
        #expect(status.capacity?["cpu"]?.milliValue == 4000)
        #expect(status.allocatable?["cpu"]?.milliValue == 3800)
        #expect(status.allocatable?["memory"]?.value == 8_091_197_440)
        #expect(status.allocatable?["pods"]?.value == 110)
        #expect(status.conditions?.first { $0.type == "Ready" }?.status == "True")
        #expect(status.addresses?.first?.address == "10.0.0.11")
        #expect(status.daemonEndpoints?.kubeletEndpoint?.Port == 10250)
        #expect(status.nodeInfo?.kubeletVersion == "v1.36.0")
        #expect(status.images?.first?.sizeBytes == 48_213_456)
        #expect(node.spec?.taints?.first?.effect == "NoSchedule")
        #expect(node.json == input)
    }

    @Test func decodesALease() throws {
        let input = try JSONValue(parsing: leaseJSON)
        let lease = try coordination.v1.Lease(json: input)
        #expect(lease.spec?.holderIdentity == "worker-1")
        #expect(lease.spec?.leaseDurationSeconds == 40)
        let renew = try #require(lease.spec?.renewTime?.date)
        #expect(abs(renew.timeIntervalSince1970 - 1_741_946_742.123456) < 1e-6)
        #expect(lease.json == input)
    }

    @Test func aListDecodesItsItems() throws {
        let list: JSONValue = [
            "apiVersion": "v1", "kind": "PodList", "metadata": ["resourceVersion": "48300"],
            "items": [try JSONValue(parsing: podJSON)],
        ]
        let pods = try core.v1.PodList(json: list)
        #expect(pods.metadata?.resourceVersion == "48300")
        #expect(pods.items.map(\.name) == ["web-7d4b9c8f6d-x2k8p"])
        #expect(pods.json == list)
    }
}
