import Foundation
import SkiffAPI
import SkiffClient
import SkiffControllers
import Testing

/// The EndpointSlice and Endpoints controllers against a real API server: slices and Endpoints follow pods'
/// addresses and readiness, named ports resolve, and both go with their Service.
@Suite(.timeLimit(.minutes(5))) struct EndpointControllersTests {
    func start(_ cluster: TestCluster) -> RunningManager {
        RunningManager(client: cluster.client, configuration: .init(
            leaderElect: false, controllers: [EndpointSliceController(), EndpointsController(), GarbageCollector(workers: 2)]))
    }

    func createPod(_ cluster: TestCluster, _ name: String, labels: [String: String] = ["app": "web"], ip: String,
                   ready: Bool) async throws {
        let pods = cluster.client.pods("default")
        _ = try await pods.create(core.v1.Pod(
            metadata: meta.v1.ObjectMeta(labels: labels, name: name),
            spec: core.v1.PodSpec(containers: [core.v1.Container(image: "web", name: "c",
                                                                 ports: [.init(containerPort: 8080, name: "web")])],
                                  nodeName: "node-1")))
        try await setReady(cluster, name, ip: ip, ready: ready)
    }

    func setReady(_ cluster: TestCluster, _ name: String, ip: String, ready: Bool) async throws {
        try await cluster.mergePatch("/api/v1/namespaces/default/pods/\(name)/status", ["status": [
            "phase": "Running", "podIP": .string(ip), "podIPs": [["ip": .string(ip)]],
            "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]]]])
    }

    func slices(_ cluster: TestCluster, _ service: String) async throws -> [discovery.v1.EndpointSlice] {
        try await cluster.client.api(discovery.v1.EndpointSlice.self, namespace: "default")
            .list(labelSelector: "kubernetes.io/service-name=\(service)").items
    }

    func endpoints(_ cluster: TestCluster, _ service: String) async throws -> core.v1.Endpoints? {
        do { return try await cluster.client.api(core.v1.Endpoints.self, namespace: "default").get(service) } catch let error as APIError
            where error.isNotFound { return nil }
    }

    func readyAddresses(_ slices: [discovery.v1.EndpointSlice]) -> Set<String> {
        Set(slices.flatMap(\.endpoints).filter { $0.conditions?.ready == true }.flatMap(\.addresses))
    }

    @Test func slicesAndEndpointsFollowPodsAndGoWithTheirService() async throws {
        try await TestCluster.with { cluster in
            let manager = start(cluster)
            try await createPod(cluster, "web-a", ip: "10.244.0.2", ready: true)
            try await createPod(cluster, "web-b", ip: "10.244.0.3", ready: false)
            try await createPod(cluster, "db", labels: ["app": "db"], ip: "10.244.0.4", ready: true)
            _ = try await cluster.client.services("default").create(core.v1.Service(
                metadata: meta.v1.ObjectMeta(name: "web"),
                spec: core.v1.ServiceSpec(ports: [.init(name: "http", port: 80, targetPort: .string("web"))], selector: ["app": "web"])))

            try await eventually("one slice lists both pods, one ready") {
                let slices = try await slices(cluster, "web")
                return slices.count == 1 && slices[0].endpoints.count == 2 && readyAddresses(slices) == ["10.244.0.2"]
            }
            let slice = try await slices(cluster, "web")[0]
            #expect(slice.ports == [discovery.v1.EndpointPort(name: "http", port: 8080, protocol: "TCP")])
            #expect(slice.objectName.hasPrefix("web-"))
            try await eventually("Endpoints split ready from not ready") {
                let subset = try await endpoints(cluster, "web")?.subsets?.first
                return subset?.addresses?.map(\.ip) == ["10.244.0.2"] && subset?.notReadyAddresses?.map(\.ip) == ["10.244.0.3"]
            }
            #expect(try await endpoints(cluster, "web")?.subsets?.first?.ports?.first?.port == 8080)

            try await setReady(cluster, "web-b", ip: "10.244.0.3", ready: true)
            try await eventually("both ready") { try await readyAddresses(slices(cluster, "web")) == ["10.244.0.2", "10.244.0.3"] }
            try await eventually("both in addresses") {
                try await endpoints(cluster, "web")?.subsets?.first?.addresses?.count == 2
            }
            // Only the pod's readiness changed: the slice was updated in place, not replaced.
            #expect(try await slices(cluster, "web").map(\.objectName) == [slice.objectName])

            _ = try await cluster.client.pods("default").delete("web-a", options: meta.v1.DeleteOptions(gracePeriodSeconds: 0))
            try await eventually("the deleted pod is gone from both") {
                let inSlices = try await slices(cluster, "web").flatMap(\.endpoints).flatMap(\.addresses)
                let inEndpoints = try await endpoints(cluster, "web")?.subsets?.flatMap { $0.addresses ?? [] }.map(\.ip)
                return inSlices == ["10.244.0.3"] && inEndpoints == ["10.244.0.3"]
            }

            _ = try await cluster.client.services("default").delete("web")
            try await eventually("slices and Endpoints went with the Service") {
                let slices = try await slices(cluster, "web")
                let endpoints = try await endpoints(cluster, "web")
                return slices.isEmpty && endpoints == nil
            }
            await manager.stop()
        }
    }

    @Test func servicesWithoutSelectorsAreLeftToTheirOwners() async throws {
        try await TestCluster.with { cluster in
            let manager = start(cluster)
            _ = try await cluster.client.services("default").create(core.v1.Service(
                metadata: meta.v1.ObjectMeta(name: "external"), spec: core.v1.ServiceSpec(ports: [.init(port: 5432)])))
            _ = try await cluster.client.api(core.v1.Endpoints.self, namespace: "default").create(core.v1.Endpoints(
                metadata: meta.v1.ObjectMeta(name: "external"),
                subsets: [.init(addresses: [.init(ip: "192.0.2.10")], ports: [.init(port: 5432)])]))
            _ = try await cluster.client.services("default").create(core.v1.Service(
                metadata: meta.v1.ObjectMeta(name: "empty"),
                spec: core.v1.ServiceSpec(ports: [.init(port: 80)], selector: ["app": "nothing"])))
            try await eventually("a selector matching nothing gets a placeholder slice") {
                let slices = try await slices(cluster, "empty")
                return slices.count == 1 && slices[0].endpoints.isEmpty
            }
            #expect(try await slices(cluster, "external").isEmpty)
            #expect(try await endpoints(cluster, "external")?.subsets?.first?.addresses?.first?.ip == "192.0.2.10")
            await manager.stop()
        }
    }

    @Test func loadBalancerServicesGetTheReadyNodesAddresses() async throws {
        try await TestCluster.with { cluster in
            let manager = RunningManager(client: cluster.client, configuration: .init(
                leaderElect: false, controllers: [ServiceLoadBalancerController()]))
            for (name, ip, ready) in [("n1", "192.0.2.11", true), ("n2", "192.0.2.12", false)] {
                _ = try await cluster.client.nodes().create(core.v1.Node(metadata: meta.v1.ObjectMeta(name: name)))
                try await cluster.mergePatch("/api/v1/nodes/\(name)/status", ["status": [
                    "addresses": [["type": "InternalIP", "address": .string(ip)]],
                    "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]]]])
            }
            _ = try await cluster.client.services("default").create(core.v1.Service(
                metadata: meta.v1.ObjectMeta(name: "lb"),
                spec: core.v1.ServiceSpec(ports: [.init(port: 80)], selector: ["app": "web"], type: "LoadBalancer")))
            func ingress() async throws -> [String] {
                try await cluster.client.services("default").get("lb").status?.loadBalancer?.ingress?.compactMap(\.ip) ?? []
            }
            try await eventually("the Ready node's address is the ingress") { try await ingress() == ["192.0.2.11"] }
            try await cluster.mergePatch("/api/v1/nodes/n2/status", ["status": ["conditions": [["type": "Ready", "status": "True"]]]])
            try await eventually("both nodes once both are Ready") { try await ingress() == ["192.0.2.11", "192.0.2.12"] }
            try await cluster.mergePatch("/api/v1/namespaces/default/services/lb", ["spec": ["type": "ClusterIP"]])
            try await eventually("no ingress once it is no LoadBalancer") { try await ingress().isEmpty }
            await manager.stop()
        }
    }
}
