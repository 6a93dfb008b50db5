import Foundation
import SkiffAPI
import SkiffHost
@testable import SkiffProxy
import SkiffTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// NetworkPolicy rules: which pods a policy isolates and whom it lets through, as text and in the kernel.
@Suite(.serialized) struct NetworkPolicyTests {
    static func pod(_ name: String, namespace: String = "default", ip: String, labels: [String: String] = [:],
                    ports: [core.v1.ContainerPort] = []) -> core.v1.Pod {
        core.v1.Pod(metadata: meta.v1.ObjectMeta(labels: labels, name: name, namespace: namespace),
                    spec: core.v1.PodSpec(containers: [core.v1.Container(image: "x", name: "c", ports: ports)]),
                    status: core.v1.PodStatus(phase: "Running", podIP: ip))
    }

    static func policy(_ name: String, namespace: String = "default", selecting: [String: String],
                       ingress: [networking.v1.NetworkPolicyIngressRule]? = nil,
                       egress: [networking.v1.NetworkPolicyEgressRule]? = nil, types: [String]? = nil) -> networking.v1.NetworkPolicy {
        networking.v1.NetworkPolicy(metadata: meta.v1.ObjectMeta(name: name, namespace: namespace),
                                    spec: networking.v1.NetworkPolicySpec(egress: egress, ingress: ingress,
                                                                          podSelector: meta.v1.LabelSelector(matchLabels: selecting),
                                                                          policyTypes: types))
    }

    static let namespaces = [core.v1.Namespace(metadata: meta.v1.ObjectMeta(labels: ["team": "a"], name: "default")),
                             core.v1.Namespace(metadata: meta.v1.ObjectMeta(labels: ["team": "b"], name: "other"))]

    @Test func podsNoPolicySelectsStayOpen() {
        let rules = PolicyRuleset(policies: [Self.policy("p", selecting: ["app": "db"], ingress: [])],
                                  pods: [Self.pod("web", ip: "10.244.0.2", labels: ["app": "web"]),
                                         Self.pod("db", ip: "10.244.0.3", labels: ["app": "db"])],
                                  namespaces: Self.namespaces, node: nil)
        #expect(Array(rules.ingress.keys) == ["10.244.0.3"])
        #expect(rules.egress.isEmpty)
        // An empty ingress list allows nothing: only the final refusal.
        #expect(rules.chains[rules.ingress["10.244.0.3"] ?? ""] == ["reject with icmp type admin-prohibited"])
    }

    @Test func peersComeFromPodAndNamespaceSelectorsAndBlocks() {
        let pods = [Self.pod("db", ip: "10.244.0.3", labels: ["app": "db"], ports: [.init(containerPort: 5432, name: "pg")]),
                    Self.pod("api", ip: "10.244.0.4", labels: ["role": "api"]),
                    Self.pod("api-other", namespace: "other", ip: "10.244.1.4", labels: ["role": "api"]),
                    Self.pod("batch-other", namespace: "other", ip: "10.244.1.5", labels: ["role": "batch"])]
        let policy = Self.policy("p", selecting: ["app": "db"], ingress: [
            .init(from: [.init(podSelector: .init(matchLabels: ["role": "api"]))], ports: [.init(port: .string("pg"))]),
            .init(from: [.init(namespaceSelector: .init(matchLabels: ["team": "b"]), podSelector: .init(matchLabels: ["role": "batch"])),
                         .init(ipBlock: .init(cidr: "192.0.2.0/24", except: ["192.0.2.128/25"]))],
                  ports: [.init(endPort: 9100, port: .int(9000), protocol: "TCP")]),
        ])
        let rules = PolicyRuleset(policies: [policy], pods: pods, namespaces: Self.namespaces, node: nil)
        let chain = rules.chains[rules.ingress["10.244.0.3"] ?? ""] ?? []
        #expect(chain == [
            "ip saddr { 10.244.0.4 } meta l4proto tcp th dport { 5432 } accept",
            "ip saddr { 10.244.1.5 } meta l4proto tcp th dport 9000-9100 accept",
            "ip saddr 192.0.2.0/24 ip saddr != { 192.0.2.128/25 } meta l4proto tcp th dport 9000-9100 accept",
            "reject with icmp type admin-prohibited",
        ])
    }

    @Test func egressPoliciesReturnWhatTheyAllowAndDefaultTypesFollowTheRules() {
        let pods = [Self.pod("web", ip: "10.244.0.2", labels: ["app": "web"]), Self.pod("db", ip: "10.244.0.3", labels: ["app": "db"])]
        let policy = Self.policy("p", selecting: ["app": "web"], egress: [.init(ports: [.init(port: .int(53), protocol: "UDP")],
                                                                                to: nil)])
        #expect(PolicyRuleset.policyTypes(policy) == ["Ingress", "Egress"])
        let rules = PolicyRuleset(policies: [policy], pods: pods, namespaces: Self.namespaces, node: nil)
        #expect(rules.chains[rules.egress["10.244.0.2"] ?? ""]
                == ["meta l4proto udp th dport 53 return", "reject with icmp type admin-prohibited"])
        #expect(rules.ingress["10.244.0.2"] != nil)
    }

    /// Two pods in network namespaces, talking through this host's forwarding: a policy on the server lets
    /// only labelled clients in, and one on the client lets it reach nothing.
    @Test(.enabled(if: KernelNetwork.available)) func policiesDecideWhoConnectsInTheKernel() async throws {
        guard let nft = NFTables.installed() else { return }
        let table = "skiff-test-policy-\(getpid())"
        defer { try? nft.deleteTable(table) }
        try await KernelNetwork.with(subnet: 215, answer: "client") { client in
            try await KernelNetwork.with(subnet: 216, answer: "server") { server in
                let url = "http://\(server.podAddress):8080/"
                let name = client.name
                func fetch() async throws -> String {
                    let result = try? await OwnThread.run("test-wget") {
                        try KernelNetwork.run(KernelNetwork.ip, ["netns", "exec", name, "/usr/bin/timeout", "3",
                                                                 KernelNetwork.busybox ?? "busybox", "wget", "-qO-", url])
                    }
                    return result?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "refused"
                }
                #expect(try await fetch() == "server")
                let serverPod = Self.pod("server", ip: server.podAddress, labels: ["app": "server"])
                var clientPod = Self.pod("client", ip: client.podAddress, labels: ["app": "client"])
                let onlyFriends = Self.policy("friends", selecting: ["app": "server"], ingress: [
                    .init(from: [.init(podSelector: .init(matchLabels: ["role": "friend"]))], ports: [.init(port: .int(8080))]),
                ])
                try nft.apply(PolicyRuleset(policies: [onlyFriends], pods: [serverPod, clientPod], namespaces: Self.namespaces,
                                            node: nil).script(table: table))
                #expect(try await fetch() == "refused")
                clientPod.metadata?.labels?["role"] = "friend"
                try nft.apply(PolicyRuleset(policies: [onlyFriends], pods: [serverPod, clientPod], namespaces: Self.namespaces,
                                            node: nil).script(table: table))
                #expect(try await fetch() == "server")
                let nowhere = Self.policy("nowhere", selecting: ["app": "client"], egress: [], types: ["Egress"])
                try nft.apply(PolicyRuleset(policies: [onlyFriends, nowhere], pods: [serverPod, clientPod],
                                            namespaces: Self.namespaces, node: nil).script(table: table))
                #expect(try await fetch() == "refused")
            }
        }
    }
}
