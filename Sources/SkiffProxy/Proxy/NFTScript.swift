/// The `nft -f` scripts that put a ruleset in the kernel: the whole table atomically (first sync, or after
/// anything went wrong), or only what changed since the last ruleset applied, so an endpoint change touches
/// its chains and map elements and nothing else (kube-proxy's nftables transactions).
enum NFTScript {
    /// The fixed part of the table: hooks, the maps Service rules hang from, masquerading, rejection.
    static func skeleton(_ network: ProxyNetwork) -> String {
        """
        table ip \(network.table) {
            comment "rules for Kubernetes Services, written by skiff proxy"
            set cluster-ips { type ipv4_addr; comment "allocated ClusterIPs"; }
            map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic"; }
            map service-nodeports { type inet_proto . inet_service : verdict; comment "NodePort traffic"; }
            map no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict; comment "services without endpoints"; }
            map no-endpoint-nodeports { type inet_proto . inet_service : verdict; comment "NodePorts without endpoints"; }
            chain filter-input { type filter hook input priority -110; policy accept;
                ct state new jump nodeport-endpoints-check
                ct state new jump service-endpoints-check
            }
            chain filter-forward { type filter hook forward priority -110; policy accept;
                ct state new jump service-endpoints-check
                ct state new jump cluster-ips-check
            }
            chain filter-output { type filter hook output priority -110; policy accept;
                ct state new jump service-endpoints-check
            }
            chain filter-output-post-dnat { type filter hook output priority -90; policy accept;
                ct state new jump cluster-ips-check
            }
            chain nat-prerouting { type nat hook prerouting priority -100; policy accept;
                jump services
            }
            chain nat-output { type nat hook output priority -100; policy accept;
                jump services
            }
            chain nat-postrouting { type nat hook postrouting priority 100; policy accept;
                jump masquerading
            }
            chain masquerading {
                meta mark & 0x4000 == 0 return
                meta mark set meta mark ^ 0x4000
                masquerade fully-random
            }
            chain mark-for-masquerade {
                meta mark set meta mark | 0x4000
            }
            chain reject-chain {
                reject
            }
            chain services {
                ip daddr . meta l4proto . th dport vmap @service-ips
                fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports
            }
            chain service-endpoints-check {
                ip daddr . meta l4proto . th dport vmap @no-endpoint-services
            }
            chain nodeport-endpoints-check {
                fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports
            }
            chain cluster-ips-check {
                ip daddr @cluster-ips reject comment "a ClusterIP's port without rules"
                ip daddr \(network.serviceCIDR) reject comment "an unallocated ClusterIP"
            }
        }

        """
    }

    /// The whole table, replacing whatever the kernel has under its name in one transaction. Chains are
    /// written as blocks (`chain NAME { rules }`) rather than one `add rule` line per rule: a third smaller,
    /// and nft's time goes with the text it parses.
    static func full(_ ruleset: NFTRuleset, network: ProxyNetwork) -> String {
        let table = "ip \(network.table)"
        var out = "add table \(table)\ndelete table \(table)\n" + skeleton(network)
        out += "table \(table) {\n"
        for (set, timeout) in ruleset.affinitySets.sorted(by: { $0.key < $1.key }) {
            out += "set \(set) { type ipv4_addr; flags dynamic,timeout; timeout \(timeout)s; }\n"
        }
        let chains = ruleset.chains
        let names = chains.keys.sorted()
        // Every chain exists before any rule jumps to one.
        for name in names { out += "chain \(name) {}\n" }
        for name in names {
            out += "chain \(name) {\n"
            for rule in chains[name] ?? [] { out += "\(rule)\n" }
            out += "}\n"
        }
        out += "}\n"
        for (map, elements) in ruleset.elements.sorted(by: { $0.key < $1.key }) where !elements.isEmpty {
            out += addElements(map, elements, table: table)
        }
        return out
    }

    /// What turns `old` into `new`; empty when nothing changed. Only ports whose `ServicePortInfo` changed are
    /// looked at. Order matters within the transaction: chains are made before elements point at them, and
    /// elements and rules stop pointing at chains before they go.
    static func diff(from old: NFTRuleset, to new: NFTRuleset, network: ProxyNetwork) -> String {
        let table = "ip \(network.table)"
        var newSets = "", newChains = "", rewrites = "", deletions = "", additions = "", emptied = "", gone = "", goneSets = ""
        var removedElements: [String: [String]] = [:]
        var addedElements: [String: [String: String]] = [:]
        for id in Set(old.entries.keys).union(new.entries.keys).sorted() {
            let before = old.entries[id], after = new.entries[id]
            if let before, let after, before.info == after.info { continue }
            let was = before?.fragment ?? NFTFragment(), now = after?.fragment ?? NFTFragment()
            for (set, timeout) in now.affinitySets.sorted(by: { $0.key < $1.key }) where was.affinitySets[set] == nil {
                newSets += affinitySet(set, timeout: timeout, table: table)
            }
            for name in now.chains.keys.sorted() {
                if was.chains[name] == nil { newChains += "add chain \(table) \(name)\n" }
                guard was.chains[name] != now.chains[name] else { continue }
                if was.chains[name] != nil { rewrites += "flush chain \(table) \(name)\n" }
                for rule in now.chains[name] ?? [] { rewrites += "add rule \(table) \(name) \(rule)\n" }
            }
            for map in Set(was.elements.keys).union(now.elements.keys) where map != "cluster-ips" {
                let earlier = was.elements[map] ?? [:], later = now.elements[map] ?? [:]
                removedElements[map, default: []] += earlier.filter { later[$0.key] != $0.value }.map(\.key)
                addedElements[map, default: [:]].merge(later.filter { earlier[$0.key] != $0.value }) { first, _ in first }
            }
            // Removed chains may jump to each other: empty them all before deleting any.
            for name in was.chains.keys.sorted() where now.chains[name] == nil {
                emptied += "flush chain \(table) \(name)\n"
                gone += "delete chain \(table) \(name)\n"
            }
            for set in was.affinitySets.keys.sorted() where now.affinitySets[set] == nil { goneSets += "delete set \(table) \(set)\n" }
        }
        let ipsBefore = old.clusterIPs, ipsAfter = new.clusterIPs
        removedElements["cluster-ips"] = ipsBefore.subtracting(ipsAfter).sorted()
        addedElements["cluster-ips"] = Dictionary(uniqueKeysWithValues: ipsAfter.subtracting(ipsBefore).map { ($0, "") })
        for (map, keys) in removedElements.sorted(by: { $0.key < $1.key }) where !keys.isEmpty {
            deletions += "delete element \(table) \(map) { \(keys.sorted().joined(separator: ", ")) }\n"
        }
        for (map, elements) in addedElements.sorted(by: { $0.key < $1.key }) where !elements.isEmpty {
            additions += addElements(map, elements, table: table)
        }
        return newSets + newChains + rewrites + deletions + additions + emptied + gone + goneSets
    }

    static func affinitySet(_ name: String, timeout: Int32, table: String) -> String {
        "add set \(table) \(name) { type ipv4_addr; flags dynamic,timeout; timeout \(timeout)s; }\n"
    }

    static func addElements(_ map: String, _ elements: [String: String], table: String) -> String {
        let items = elements.sorted { $0.key < $1.key }.map { $0.value.isEmpty ? $0.key : "\($0.key) : \($0.value)" }
        var out = ""
        // Long element lists in lines of a few hundred: nft parses one huge line slowly.
        var start = 0
        while start < items.count {
            let chunk = items[start..<min(start + 500, items.count)]
            out += "add element \(table) \(map) { \(chunk.joined(separator: ", ")) }\n"
            start += 500
        }
        return out
    }
}
