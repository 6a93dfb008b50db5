import Foundation
import Logging
import SkiffAPI
import Synchronization
import Testing

@testable import SkiffKubelet

/// The kubelet's pod DNS as upstream's `pkg/kubelet/network/dns`: each policy's base, `dnsConfig` merged
/// into it, the resolver's limits, and the node's resolv.conf as glibc and the kubelet read it.
@Suite struct PodDNSTests {
    let dns = PodDNS(clusterDNS: ["10.96.0.10"], clusterDomain: "cluster.local", resolvConf: "/etc/resolv.conf")
    let node = PodDNS.HostResolver(nameservers: ["192.168.1.1", "192.168.1.2"], searches: ["corp.example", "example.com"],
                                   options: ["timeout:2", "rotate"])

    func pod(namespace: String = "team", policy: String? = nil, hostNetwork: Bool = false,
             dnsConfig: JSONValue? = nil) throws -> core.v1.Pod {
        var spec: JSONValue = ["containers": [["name": "c"]]]
        if let policy { spec["dnsPolicy"] = .string(policy) }
        if hostNetwork { spec["hostNetwork"] = true }
        if let dnsConfig { spec["dnsConfig"] = dnsConfig }
        return try core.v1.Pod(json: ["metadata": ["name": "web", "namespace": .string(namespace), "uid": "u1"], "spec": spec])
    }

    @Test func clusterFirstUsesTheClusterDNSItsSearchDomainsThenTheNodesAndNdots5() throws {
        for policy in [nil, "ClusterFirst"] {
            let (config, warnings) = dns.form(for: try pod(policy: policy), host: node)
            #expect(config == DNSConfig(servers: ["10.96.0.10"],
                                        searches: ["team.svc.cluster.local", "svc.cluster.local", "cluster.local",
                                                   "corp.example", "example.com"],
                                        options: ["ndots:5"]))
            #expect(warnings.isEmpty)
        }
        // The exact text: nameservers, then the search line, then options.
        let text = dns.form(for: try pod(namespace: "ns1"), host: PodDNS.HostResolver()).config.resolvConf
        #expect(text == "nameserver 10.96.0.10\nsearch ns1.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n")
        // A node search domain that is one of the cluster's is not repeated; no domain: only the node's.
        let repeated = PodDNS.HostResolver(searches: ["cluster.local", "lan"])
        #expect(dns.form(for: try pod(), host: repeated).config.searches
                == ["team.svc.cluster.local", "svc.cluster.local", "cluster.local", "lan"])
        var noDomain = dns
        noDomain.clusterDomain = ""
        #expect(noDomain.form(for: try pod(), host: node).config.searches == node.searches)
    }

    @Test func hostNetworkPodsTakeTheNodesDNSUnlessClusterFirstWithHostNet() throws {
        let hostConfig = DNSConfig(servers: node.nameservers, searches: node.searches, options: node.options)
        #expect(dns.form(for: try pod(policy: "ClusterFirst", hostNetwork: true), host: node).config == hostConfig)
        #expect(dns.form(for: try pod(policy: "Default"), host: node).config == hostConfig)
        #expect(dns.form(for: try pod(policy: "Default", hostNetwork: true), host: node).config == hostConfig)
        let withHostNet = dns.form(for: try pod(policy: "ClusterFirstWithHostNet", hostNetwork: true), host: node).config
        #expect(withHostNet.servers == ["10.96.0.10"] && withHostNet.options == ["ndots:5"])
        #expect(withHostNet.searches.first == "team.svc.cluster.local")
        // Without host networking it is plain ClusterFirst.
        #expect(dns.form(for: try pod(policy: "ClusterFirstWithHostNet"), host: node).config
                == dns.form(for: try pod(policy: "ClusterFirst"), host: node).config)
    }

    @Test func noResolvConfGivesNodeDNSPodsTheLocalMachine() throws {
        let config = dns.form(for: try pod(policy: "Default"), host: nil).config
        #expect(config == DNSConfig(servers: ["127.0.0.1"], searches: ["."]))
        // Cluster-first pods still get the cluster's domains, with no node domains after them.
        #expect(dns.form(for: try pod(), host: nil).config.searches == ["team.svc.cluster.local", "svc.cluster.local", "cluster.local"])
    }

    @Test func clusterFirstWithoutClusterDNSFallsBackToDefaultWithAWarning() throws {
        var none = dns
        none.clusterDNS = []
        let (config, warnings) = none.form(for: try pod(), host: node)
        #expect(config == DNSConfig(servers: node.nameservers, searches: node.searches, options: node.options))
        #expect(warnings == [PodDNS.Warning(reason: "MissingClusterDNS", message: "pod: \"web_team(u1)\". kubelet does not have "
            + "ClusterDNS IP configured and cannot create Pod using \"ClusterFirst\" policy. Falling back to \"Default\" policy.")])
        // Default asked for is no fallback.
        #expect(none.form(for: try pod(policy: "Default"), host: node).warnings.isEmpty)
    }

    @Test func noneIsOnlyTheDNSConfig() throws {
        let custom: JSONValue = ["nameservers": ["1.1.1.1"], "searches": ["a.example"],
                                 "options": [["name": "ndots", "value": "2"], ["name": "edns0"]]]
        let (config, warnings) = dns.form(for: try pod(policy: "None", dnsConfig: custom), host: node)
        #expect(config == DNSConfig(servers: ["1.1.1.1"], searches: ["a.example"], options: ["ndots:2", "edns0"]))
        #expect(warnings.isEmpty)
        #expect(config.resolvConf == "nameserver 1.1.1.1\nsearch a.example\noptions ndots:2 edns0\n")
        // Without one (the API server refuses that), the pod gets an empty configuration.
        #expect(dns.form(for: try pod(policy: "None"), host: node).config.isEmpty)
    }

    @Test func dnsConfigIsAppendedWithoutDuplicatesAndItsOptionsWinByName() throws {
        let extra: JSONValue = ["nameservers": ["10.96.0.10", "8.8.8.8"], "searches": ["svc.cluster.local", "mine.example"],
                                "options": [["name": "ndots", "value": "1"], ["name": "single-request"], ["name": "ndots", "value": "3"]]]
        let config = dns.form(for: try pod(dnsConfig: extra), host: PodDNS.HostResolver(searches: ["lan"])).config
        #expect(config.servers == ["10.96.0.10", "8.8.8.8"])
        #expect(config.searches == ["team.svc.cluster.local", "svc.cluster.local", "cluster.local", "lan", "mine.example"])
        #expect(config.options == ["ndots:3", "single-request"])
        // On the node's base: its options are overridden in place, an empty value leaves the bare name.
        let merged = PodDNS.mergeOptions(["timeout:2", "rotate", "attempts:3"],
                                         [.init(name: "timeout", value: "5"), .init(name: "attempts", value: ""), .init(name: "")])
        #expect(merged == ["timeout:5", "rotate", "attempts"])
    }

    @Test func limitsCutNameserversAndSearchDomainsWithDNSConfigFormingWarnings() throws {
        let extra: JSONValue = ["nameservers": ["1.1.1.1", "2.2.2.2", "3.3.3.3"]]
        let (config, warnings) = dns.form(for: try pod(dnsConfig: extra), host: node)
        #expect(config.servers == ["10.96.0.10", "1.1.1.1", "2.2.2.2"])
        #expect(warnings == [PodDNS.Warning(reason: "DNSConfigForming", message: "Nameserver limits were exceeded, some "
            + "nameservers have been omitted, the applied nameserver line is: 10.96.0.10 1.1.1.1 2.2.2.2")])

        // 40 domains: the first 32 are kept.
        let many = (1...40).map { "d\($0).example" }
        let cut = dns.fitLimits(DNSConfig(searches: many), warnings: [])
        #expect(cut.config.searches == Array(many.prefix(32)))
        #expect(cut.warnings == [PodDNS.Warning(reason: "DNSConfigForming", message: "Search Line limits were exceeded, some "
            + "search paths have been omitted, the applied search line is: \(many.prefix(32).joined(separator: " "))")])
        // A domain longer than 253 characters is dropped wherever it is.
        let long = String(repeating: "a", count: 254)
        #expect(dns.fitLimits(DNSConfig(searches: ["a", long, "b"]), warnings: []).config.searches == ["a", "b"])
        // 2,048 characters in all: domains go from the end until the line fits.
        let wide = (0..<10).map { String(repeating: Character(String($0)), count: 250) }
        let fitted = dns.fitLimits(DNSConfig(searches: wide), warnings: []).config.searches
        #expect(fitted == Array(wide.prefix(8)))
        #expect(fitted.joined(separator: " ").utf8.count == 2007)
        // Within limits: untouched, no warning.
        let fine = dns.fitLimits(DNSConfig(servers: ["a", "b", "c"], searches: Array(many.prefix(32))), warnings: [])
        #expect(fine.warnings.isEmpty && fine.config.servers.count == 3 && fine.config.searches.count == 32)
    }

    @Test func anUnknownPolicyIsClusterFirstWithALoggedWarning() throws {
        #expect(PodDNS.base(policy: "Sideways", hostNetwork: false) == nil)
        let (config, warnings) = dns.form(for: try pod(policy: "Sideways", hostNetwork: true), host: node)
        #expect(config.servers == ["10.96.0.10"])
        #expect(warnings.count == 1 && warnings[0].reason == nil)
    }

    @Test func theNodesResolvConfIsReadAsGlibcAndTheKubeletReadIt() throws {
        let text = """
            # generated by NetworkManager
              nameserver 192.168.1.1   # a trailing remark is the address's neighbour, not read
            nameserver\t192.168.1.2
            search first.example
            ; domain lan
            search corp.example. example.com
            options ndots:2
            options timeout:1 rotate
            sortlist 130.155.160.0/255.255.240.0
            #nameserver 9.9.9.9

            """
        let parsed = try PodDNS.parse(text)
        #expect(parsed.nameservers == ["192.168.1.1", "192.168.1.2"])
        #expect(parsed.searches == ["corp.example", "example.com"], "the last search line wins, trailing dots dropped")
        #expect(parsed.options == ["timeout:1", "rotate"], "the last options line wins")
        #expect(try PodDNS.parse("") == PodDNS.HostResolver())
        #expect(try PodDNS.parse("search\n").searches == [], "an empty search line clears the list")
        #expect(throws: PodDNSError(description: "nameserver list is empty ")) { try PodDNS.parse("nameserver\nsearch a\n") }
        #expect(throws: PodDNSError(description: "[nameserver list is empty , nameserver list is empty ]")) {
            try PodDNS.parse("nameserver\nnameserver \n")
        }
    }

    @Test func theFileIsReadForEachPodAndAnUnreadableOneFailsTheSandbox() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-resolv-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: file) }
        var reading = dns
        reading.resolvConf = file.path
        #expect(throws: PodDNSError(description: "open \(file.path): No such file or directory")) {
            try reading.form(for: try pod())
        }
        try "nameserver 10.0.0.2\nsearch lan\noptions edns0\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try reading.form(for: try pod(policy: "Default")).config == DNSConfig(servers: ["10.0.0.2"], searches: ["lan"],
                                                                                        options: ["edns0"]))
        #expect(try reading.form(for: try pod()).config.searches.last == "lan")
        try Data(count: PodDNS.maxResolvConfBytes + 1).write(to: file)
        #expect(throws: PodDNSError(description: "the read limit is reached")) { try reading.form(for: try pod()) }
    }

    @Test func clusterDNSAddressesAreChecked() {
        #expect(PodDNS.isIPAddress("10.96.0.10") && PodDNS.isIPAddress("fd00::a"))
        #expect(!PodDNS.isIPAddress("10.96.0") && !PodDNS.isIPAddress("dns.local") && !PodDNS.isIPAddress(""))
    }

    @Test func podWorkersRecordTheWarningsAsEventsOnThePod() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-dns-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let events = Mutex<[PodMachine.Event]>([])
        let workers = PodWorkers(runtime: ProcessRuntime(dataDirectory: directory), images: nil, hostIP: "127.0.0.1",
                                 logger: Logger(label: "test"),
                                 dns: PodDNS(clusterDNS: [], clusterDomain: "cluster.local", resolvConf: ""),
                                 notify: { _ in }, record: { _, event in events.withLock { $0.append(event) } })
        let config = try await workers.formDNS(try pod())
        #expect(config == DNSConfig(servers: ["127.0.0.1"], searches: ["."]))
        let recorded = events.withLock { $0 }
        #expect(recorded.map(\.reason) == ["MissingClusterDNS"] && recorded.allSatisfy { $0.type == "Warning" && $0.container == nil })
        // Warnings without a reason are only logged.
        _ = try await workers.formDNS(try pod(policy: "Sideways"))
        #expect(events.withLock { $0.count } == 2)
    }

    @Test func theSandboxConfigCarriesTheFormedDNS() throws {
        let formed = dns.form(for: try pod(), host: node).config
        let config = PodWorkers.sandboxConfig(uid: "u1", pod: try pod(), dns: formed)
        #expect(config.dns == formed)
        #expect(DNSConfig().resolvConf == "" && DNSConfig().isEmpty)
        #expect(DNSConfig(searches: ["a"]).resolvConf == "search a\n")
    }
}
