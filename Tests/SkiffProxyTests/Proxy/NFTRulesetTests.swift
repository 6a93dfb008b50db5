@testable import SkiffProxy
import Testing

/// The rules and transactions the proxy writes, as text (the kernel tests apply them for real).
@Suite struct NFTRulesetTests {
    let network = ProxyNetwork(table: "t", nodeName: "node-a")

    func web(endpoints: [ProxyEndpoint], nodePort: Int32? = nil, affinity: Int32? = nil,
             externalLocal: Bool = false) -> ServicePortInfo {
        ServicePortInfo(namespace: "default", name: "web", portName: "http", clusterIPs: ["10.96.0.20"], port: 80,
                        nodePort: nodePort, affinitySeconds: affinity, externalLocal: externalLocal, endpoints: endpoints)
    }

    @Test func aServiceWithEndpointsBalancesAcrossThemAndMasqueradesHairpins() {
        let ruleset = NFTRuleset(services: [web(endpoints: [.init(ip: "10.244.0.5", port: 8080), .init(ip: "10.244.0.6", port: 8080)])],
                                 network: network)
        let verdict = ruleset.elements["service-ips"]?["10.96.0.20 . tcp . 80"] ?? ""
        #expect(verdict.hasPrefix("goto service-") && verdict.hasSuffix("-default/web/tcp/http"))
        let serviceChain = String(verdict.dropFirst("goto ".count))
        let rules = ruleset.chains[serviceChain] ?? []
        #expect(rules.first == "ip saddr != 10.244.0.0/16 jump mark-for-masquerade")
        #expect(rules.count == 3)
        #expect(rules[1].hasPrefix("numgen random mod 2 0 goto endpoint-") && rules[1].hasSuffix("__10.244.0.5/8080"))
        #expect(rules[2].hasPrefix("goto endpoint-") && rules[2].hasSuffix("__10.244.0.6/8080"))
        let endpoint = ruleset.chains.first { $0.key.hasSuffix("__10.244.0.5/8080") }
        #expect(endpoint?.value == ["ip saddr 10.244.0.5 jump mark-for-masquerade", "meta l4proto tcp dnat to 10.244.0.5:8080"])
        #expect(ruleset.elements["cluster-ips"]?["10.96.0.20"] == "")
        #expect(ruleset.elements["no-endpoint-services"]?.isEmpty == true)
    }

    @Test func withoutReadyEndpointsTrafficIsRejectedButTerminatingOnesServeWhenNothingElseCan() {
        let none = NFTRuleset(services: [web(endpoints: [.init(ip: "10.244.0.5", port: 8080, ready: false, serving: false)],
                                             nodePort: 30080)], network: network)
        #expect(none.elements["no-endpoint-services"]?["10.96.0.20 . tcp . 80"] == "goto reject-chain")
        #expect(none.elements["no-endpoint-nodeports"]?["tcp . 30080"] == "goto reject-chain")
        #expect(none.elements["service-ips"]?.isEmpty == true)
        let terminating = NFTRuleset(services: [web(endpoints: [
            .init(ip: "10.244.0.5", port: 8080, ready: false, serving: true, terminating: true),
            .init(ip: "10.244.0.6", port: 8080, ready: false, serving: false, terminating: true)])], network: network)
        #expect(terminating.chains.keys.filter { $0.hasPrefix("endpoint-") }.map { $0.hasSuffix("10.244.0.5/8080") } == [true])
        let mixed = NFTRuleset(services: [web(endpoints: [
            .init(ip: "10.244.0.5", port: 8080, ready: false, serving: true, terminating: true),
            .init(ip: "10.244.0.7", port: 8080)])], network: network)
        #expect(mixed.chains.keys.filter { $0.hasPrefix("endpoint-") }.map { $0.hasSuffix("10.244.0.7/8080") } == [true])
    }

    @Test func nodePortsGoThroughAnExternalChainAndLocalPolicyKeepsToThisNode() {
        let endpoints: [ProxyEndpoint] = [.init(ip: "10.244.0.5", port: 8080, nodeName: "node-a"),
                                          .init(ip: "10.244.1.5", port: 8080, nodeName: "node-b")]
        let cluster = NFTRuleset(services: [web(endpoints: endpoints, nodePort: 30080)], network: network)
        let external = String((cluster.elements["service-nodeports"]?["tcp . 30080"] ?? "").dropFirst("goto ".count))
        #expect(external.hasPrefix("external-"))
        #expect(cluster.chains[external]?.first == "jump mark-for-masquerade")
        let local = NFTRuleset(services: [web(endpoints: endpoints, nodePort: 30080, externalLocal: true)], network: network)
        let localChain = local.chains.first { $0.key.hasPrefix("local-") }
        #expect(localChain?.value.count == 1)
        #expect(localChain?.value.first?.hasSuffix("10.244.0.5/8080") == true)
    }

    @Test func sessionAffinityRemembersClientsPerEndpoint() {
        let ruleset = NFTRuleset(services: [web(endpoints: [.init(ip: "10.244.0.5", port: 8080), .init(ip: "10.244.0.6", port: 8080)],
                                                affinity: 600)], network: network)
        #expect(ruleset.affinitySets.count == 2 && ruleset.affinitySets.values.allSatisfy { $0 == 600 })
        let endpoint = ruleset.chains.first { $0.key.hasSuffix("__10.244.0.5/8080") }?.value ?? []
        #expect(endpoint.contains { $0.hasPrefix("update @affinity-") && $0.hasSuffix("{ ip saddr }") })
        let service = ruleset.chains.first { $0.key.hasPrefix("service-") }?.value ?? []
        #expect(service.filter { $0.hasPrefix("ip saddr @affinity-") }.count == 2)
        #expect(NFTScript.full(ruleset, network: network).contains("flags dynamic,timeout; timeout 600s;"))
    }

    @Test func oneEndpointChangeTouchesOnlyItsChainsAndElements() {
        let two = NFTRuleset(services: [web(endpoints: [.init(ip: "10.244.0.5", port: 8080), .init(ip: "10.244.0.6", port: 8080)]),
                                        ServicePortInfo(namespace: "default", name: "db", clusterIPs: ["10.96.0.30"], port: 5432,
                                                        endpoints: [.init(ip: "10.244.0.9", port: 5432)])], network: network)
        let one = NFTRuleset(services: [web(endpoints: [.init(ip: "10.244.0.5", port: 8080)]),
                                        ServicePortInfo(namespace: "default", name: "db", clusterIPs: ["10.96.0.30"], port: 5432,
                                                        endpoints: [.init(ip: "10.244.0.9", port: 5432)])], network: network)
        let script = NFTScript.diff(from: two, to: one, network: network)
        let lines = script.split(separator: "\n")
        #expect(!script.contains("db"))
        #expect(lines.filter { $0.hasPrefix("flush chain ip t service-") }.count == 1)
        #expect(lines.filter { $0.hasPrefix("delete chain ip t endpoint-") }.count == 1)
        #expect(lines.last?.hasPrefix("delete chain") == true)
        #expect(NFTScript.diff(from: one, to: one, network: network).isEmpty)
    }

    @Test func aClusterIPStaysAllocatedWhileAnyOfItsPortsIsLeft() {
        let http = web(endpoints: [.init(ip: "10.244.0.5", port: 8080)])
        var metrics = http
        metrics.portName = "metrics"
        metrics.port = 9090
        let both = NFTRuleset(services: [http, metrics], network: network)
        let one = NFTRuleset(services: [http], network: network, reusing: both)
        let script = NFTScript.diff(from: both, to: one, network: network)
        #expect(!script.contains("cluster-ips"))
        #expect(script.contains("delete element ip t service-ips { 10.96.0.20 . tcp . 9090 }"))
        #expect(NFTScript.diff(from: one, to: NFTRuleset(services: [], network: network), network: network)
            .contains("delete element ip t cluster-ips { 10.96.0.20 }"))
    }

    @Test func aWholeTableReplacesWhateverWasThereInOneTransaction() {
        let script = NFTScript.full(NFTRuleset(services: [], network: network), network: network)
        #expect(script.hasPrefix("add table ip t\ndelete table ip t\ntable ip t {"))
        #expect(script.contains("ip daddr 10.96.0.0/12 reject"))
    }

    @Test func chainNamesAreStableAndDistinct() {
        #expect(NFTFragment.hash("default/web/tcp/http") == NFTFragment.hash("default/web/tcp/http"))
        #expect(NFTFragment.hash("default/web/tcp/http") != NFTFragment.hash("default/web/tcp/https"))
        #expect(NFTFragment.hash("x").count == 8)
    }
}
