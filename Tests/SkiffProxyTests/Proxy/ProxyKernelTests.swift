import Foundation
import SkiffHost
@testable import SkiffProxy
import Testing

/// The rules in the real kernel: traffic from the host to a ClusterIP and a NodePort reaches a pod in a
/// network namespace, and is refused at once when the Service has no endpoint or the address no Service.
/// Serialized: the tests share the kernel's connection tracking and add guard rules.
@Suite(.serialized) struct ProxyKernelTests {
    @Test(.enabled(if: KernelNetwork.available)) func clusterIPAndNodePortReachTheEndpointAndEmptyServicesAreRefused() async throws {
        guard let nft = NFTables.installed() else { return }
        let network = ProxyNetwork(table: "skiff-test-\(getpid())", serviceCIDR: "10.96.211.0/24", serviceDevice: "sksvc211")
        try await KernelNetwork.with(subnet: 211, answer: "pod-a") { pod in
            defer { try? ServiceProxy.cleanup(network, nftables: nft) }
            try ServiceRoute(device: network.serviceDevice, cidr: network.serviceCIDR).install()
            let service = ServicePortInfo(namespace: "default", name: "web", clusterIPs: ["10.96.211.10"], port: 80, nodePort: 30211,
                                          endpoints: [ProxyEndpoint(ip: pod.podAddress, port: 8080)])
            let empty = ServicePortInfo(namespace: "default", name: "empty", clusterIPs: ["10.96.211.11"], port: 80)
            // The skeleton alone: the whole Service range is refused, nothing is routed out.
            try nft.apply(NFTScript.full(NFTRuleset(services: [], network: network), network: network))
            #expect(await KernelNetwork.fetch("http://10.96.211.10/").contains("refused"))

            let ruleset = NFTRuleset(services: [service, empty], network: network)
            try nft.apply(NFTScript.diff(from: NFTRuleset(services: [], network: network), to: ruleset, network: network))
            #expect(try await KernelNetwork.eventually("http://10.96.211.10/") { $0 == "pod-a" } == "pod-a")
            #expect(await KernelNetwork.fetch("http://\(pod.hostAddress):30211/") == "pod-a")
            #expect(await KernelNetwork.fetch("http://10.96.211.11/").contains("refused"))
            #expect(await KernelNetwork.fetch("http://10.96.211.10:81/").contains("refused"))
            #expect(await KernelNetwork.fetch("http://10.96.211.99/").contains("refused"))

            // The endpoint goes: refused, not hanging.
            var gone = service
            gone.endpoints = []
            let emptied = NFTRuleset(services: [gone, empty], network: network)
            try nft.apply(NFTScript.diff(from: ruleset, to: emptied, network: network))
            #expect(await KernelNetwork.fetch("http://10.96.211.10/").contains("refused"))
            #expect(await KernelNetwork.fetch("http://\(pod.hostAddress):30211/").contains("refused"))
            // And comes back.
            try nft.apply(NFTScript.diff(from: emptied, to: ruleset, network: network))
            #expect(await KernelNetwork.fetch("http://10.96.211.10/") == "pod-a")
        }
    }

    /// A pod reaching its own Service (hairpin): the connection is masqueraded so the reply finds its way.
    @Test(.enabled(if: KernelNetwork.available)) func aPodReachesItsOwnService() async throws {
        guard let nft = NFTables.installed() else { return }
        let network = ProxyNetwork(table: "skiff-test-\(getpid())-h", serviceCIDR: "10.96.212.0/24", serviceDevice: "sksvc212")
        try await KernelNetwork.with(subnet: 212, answer: "self") { pod in
            defer { try? ServiceProxy.cleanup(network, nftables: nft) }
            let service = ServicePortInfo(namespace: "default", name: "self", clusterIPs: ["10.96.212.10"], port: 80,
                                          endpoints: [ProxyEndpoint(ip: pod.podAddress, port: 8080)])
            try nft.apply(NFTScript.full(NFTRuleset(services: [service], network: network), network: network))
            let name = pod.name
            let result = try await OwnThread.run("test-wget") {
                try KernelNetwork.run(KernelNetwork.ip, ["netns", "exec", name, "/usr/bin/timeout", "3",
                                                         KernelNetwork.busybox ?? "busybox", "wget", "-qO-", "http://10.96.212.10/"])
            }
            #expect(result.trimmingCharacters(in: .whitespacesAndNewlines) == "self")
        }
    }
}
