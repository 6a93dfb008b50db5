import Foundation
import Logging
import SkiffAPI
import SkiffClient
@testable import SkiffProxy
import SkiffTesting
import Testing

/// The proxy as a component against a real API server and the real kernel: Services and EndpointSlices
/// written through the API become rules within moments, and their changes follow.
@Suite(.serialized) struct ServiceProxyTests {
    @Test(.enabled(if: KernelNetwork.available)) func rulesFollowServicesAndEndpointSlices() async throws {
        guard let nft = NFTables.installed() else { return }
        let server = try await TestAPIServer()
        let client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: server.kubeconfig.path))
        let network = ProxyNetwork(table: "skiff-test-\(getpid())-p", serviceCIDR: "10.96.213.0/24", serviceDevice: "sksvc213")
        try await KernelNetwork.with(subnet: 213, answer: "from-slice") { pod in
            defer { try? ServiceProxy.cleanup(network, nftables: nft) }
            let proxy = ServiceProxy(client: client, network: network, nftables: nft, fullSyncPeriod: .seconds(1),
                                     logger: Logger(label: "test.proxy"))
            let running = Task { try await proxy.run() }
            defer { running.cancel() }
            _ = try await client.services("default").create(core.v1.Service(
                metadata: meta.v1.ObjectMeta(name: "web"),
                spec: core.v1.ServiceSpec(clusterIP: "10.96.213.10", ports: [.init(name: "http", port: 80, targetPort: .int(8080))],
                                          selector: ["app": "web"])))
            // No slice yet: refused here, not routed anywhere.
            #expect(try await KernelNetwork.eventually("http://10.96.213.10/") { $0.contains("refused") }.contains("refused"))

            let slices = client.api(discovery.v1.EndpointSlice.self, namespace: "default")
            var slice = discovery.v1.EndpointSlice(
                addressType: "IPv4",
                endpoints: [.init(addresses: [pod.podAddress], conditions: .init(ready: true, serving: true, terminating: false))],
                metadata: meta.v1.ObjectMeta(labels: ["kubernetes.io/service-name": "web"], name: "web-abc"),
                ports: [.init(name: "http", port: 8080, protocol: "TCP")])
            slice = try await slices.create(slice)
            #expect(try await KernelNetwork.eventually("http://10.96.213.10/") { $0 == "from-slice" } == "from-slice")
            #expect(proxy.isSynced)

            // The endpoint stops being ready: new connections are refused.
            slice.endpoints[0].conditions = .init(ready: false, serving: false, terminating: true)
            slice = try await slices.update(slice)
            #expect(try await KernelNetwork.eventually("http://10.96.213.10/") { $0.contains("refused") }.contains("refused"))

            slice.endpoints[0].conditions = .init(ready: true, serving: true, terminating: false)
            _ = try await slices.update(slice)
            #expect(try await KernelNetwork.eventually("http://10.96.213.10/") { $0 == "from-slice" } == "from-slice")
            // Someone flushes the table behind the proxy's back: the periodic full sync puts it back.
            try nft.apply("flush table ip \(network.table)\n")
            #expect(try await KernelNetwork.eventually("http://10.96.213.10/") { $0 == "from-slice" } == "from-slice")

            _ = try await client.services("default").delete("web")
            #expect(try await KernelNetwork.eventually("http://10.96.213.10/") { $0.contains("refused") }.contains("refused"))
        }
        try? await client.shutdown()
        await server.stop()
    }
}
