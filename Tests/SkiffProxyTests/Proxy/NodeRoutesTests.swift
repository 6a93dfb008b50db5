import Foundation
import Logging
import SkiffAPI
import SkiffClient
@testable import SkiffProxy
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Routes to other nodes' pod ranges, as flannel's host-gw: decided from Node objects, applied to a
/// routing table (a network namespace of the test's own, so the host's table is untouched).
@Suite struct NodeRoutesTests {
    static func node(_ name: String, cidr: String?, address: String?) -> core.v1.Node {
        core.v1.Node(metadata: meta.v1.ObjectMeta(name: name), spec: core.v1.NodeSpec(podCIDR: cidr),
                     status: core.v1.NodeStatus(addresses: address.map { [core.v1.NodeAddress(address: $0, type: "InternalIP")] }))
    }

    @Test func everyOtherNodeWithARangeAndAnAddressIsRouted() {
        let nodes = [Self.node("me", cidr: "10.244.0.0/24", address: "192.168.77.1"),
                     Self.node("b", cidr: "10.244.1.0/24", address: "192.168.77.2"),
                     Self.node("no-range", cidr: nil, address: "192.168.77.3"),
                     Self.node("no-address", cidr: "10.244.3.0/24", address: nil)]
        #expect(NodeRoutes.desired(nodes, self: "me") == [NodeRoutes.Route(cidr: "10.244.1.0/24", via: "192.168.77.2")])
        #expect(NodeRoutes.parse("10.244.1.0/24 via 192.168.77.2 dev a proto 189 \n10.244.9.9 via 1.2.3.4 dev x proto 189")
                == [.init(cidr: "10.244.1.0/24", via: "192.168.77.2"), .init(cidr: "10.244.9.9/32", via: "1.2.3.4")])
    }

    @Test(.enabled(if: KernelNetwork.available)) func routesFollowNodesInARealRoutingTable() async throws {
        let ip = ServiceRoute.ipProgram
        let namespace = "skroutes-\(getpid() % 10000)"
        _ = try? KernelNetwork.run(ip, ["netns", "del", namespace])
        try KernelNetwork.run(ip, ["netns", "add", namespace])
        defer { _ = try? KernelNetwork.run(ip, ["netns", "del", namespace]) }
        // This "node" is on 192.168.77.0/24; 10.9.0.0/16 is only reachable through a router.
        try KernelNetwork.run(ip, ["-n", namespace, "link", "add", "skra", "type", "veth", "peer", "name", "skrb"])
        try KernelNetwork.run(ip, ["-n", namespace, "addr", "add", "192.168.77.1/24", "dev", "skra"])
        for device in ["skra", "skrb", "lo"] { try KernelNetwork.run(ip, ["-n", namespace, "link", "set", device, "up"]) }
        try KernelNetwork.run(ip, ["-n", namespace, "route", "add", "10.9.0.0/16", "via", "192.168.77.254"])

        let client = try RESTClient(config: ClientConfig(server: "https://127.0.0.1:1"))
        defer { Task { try? await client.shutdown() } }
        let routes = NodeRoutes(client: client, nodeName: "me", ip: [ip, "-n", namespace], logger: Logger(label: "test.routes"))
        await routes.reconcileOnThread([Self.node("me", cidr: "10.244.0.0/24", address: "192.168.77.1"),
                          Self.node("b", cidr: "10.244.1.0/24", address: "192.168.77.2"),
                          Self.node("far", cidr: "10.244.2.0/24", address: "10.9.0.5")])
        let table = try KernelNetwork.run(ip, ["-n", namespace, "route", "show", "proto", NodeRoutes.routeProtocol])
        #expect(NodeRoutes.parse(table) == [.init(cidr: "10.244.1.0/24", via: "192.168.77.2")])

        // Node b moves; a new node joins; then everyone else leaves.
        await routes.reconcileOnThread([Self.node("b", cidr: "10.244.1.0/24", address: "192.168.77.20"),
                          Self.node("c", cidr: "10.244.5.0/24", address: "192.168.77.3")])
        let moved = try KernelNetwork.run(ip, ["-n", namespace, "route", "show", "proto", NodeRoutes.routeProtocol])
        #expect(NodeRoutes.parse(moved) == [.init(cidr: "10.244.1.0/24", via: "192.168.77.20"),
                                             .init(cidr: "10.244.5.0/24", via: "192.168.77.3")])
        await routes.reconcileOnThread([])
        #expect(try KernelNetwork.run(ip, ["-n", namespace, "route", "show", "proto", NodeRoutes.routeProtocol]).isEmpty)
        // Routes of others are left alone.
        #expect(try KernelNetwork.run(ip, ["-n", namespace, "route", "show", "10.9.0.0/16"]).contains("192.168.77.254"))
    }
}
