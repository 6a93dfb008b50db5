import SkiffAPI
import SkiffClient

/// NetworkPolicy as nftables rules for the pods of one node (what kube-router's and Calico's policy
/// controllers do with iptables): a pod no policy selects is open; once a policy selects it for Ingress
/// (Egress), only connections some rule of some selecting policy allows reach it (leave it), the rest are
/// refused. Connections already established, and replies, always pass. Peers are pods chosen by pod and
/// namespace selectors (their IPs, wherever they run) and ipBlocks; ports by number, range (`endPort`) or
/// name (resolved on the selected pod for ingress; a named egress port is resolved on each peer pod).
struct PolicyRuleset: Equatable, Sendable {
    /// Chain name → its rules.
    var chains: [String: [String]] = [:]
    /// Pod IP → the chain its incoming connections jump to.
    var ingress: [String: String] = [:]
    /// Pod IP → the chain its outgoing connections jump to.
    var egress: [String: String] = [:]

    struct Pod {
        var object: core.v1.Pod
        var ip: String
        var namespace: String { object.objectNamespace }
        var labels: [String: String] { object.objectLabels }
    }

    init(policies: [networking.v1.NetworkPolicy], pods: [core.v1.Pod], namespaces: [core.v1.Namespace], node: String?) {
        let all = pods.compactMap { pod -> Pod? in
            guard pod.spec?.hostNetwork != true, !pod.isTerminated, let ip = pod.status?.podIP, !ip.isEmpty, !ip.contains(":")
            else { return nil }
            return Pod(object: pod, ip: ip)
        }
        let namespaceLabels = Dictionary(namespaces.map { ($0.objectName, $0.objectLabels) }, uniquingKeysWith: { first, _ in first })
        let local = node.map { node in all.filter { $0.object.nodeName == node } } ?? all
        for pod in local {
            let selecting = policies.filter { policy in
                policy.objectNamespace == pod.namespace
                    && LabelSelector.orNothing(policy.spec?.podSelector).matches(pod.labels)
            }
            var ingressRules: [String] = [], egressRules: [String] = []
            var ingressSelected = false, egressSelected = false
            for policy in selecting {
                let types = Self.policyTypes(policy)
                if types.contains("Ingress") {
                    ingressSelected = true
                    for rule in policy.spec?.ingress ?? [] {
                        let sources = Self.peers(rule.from, policy: policy, pods: all, namespaces: namespaceLabels)
                        ingressRules += Self.rules(direction: "saddr", peers: sources, ports: rule.ports, portsOn: [pod], verdict: "accept")
                    }
                }
                if types.contains("Egress") {
                    egressSelected = true
                    for rule in policy.spec?.egress ?? [] {
                        let destinations = Self.peers(rule.to, policy: policy, pods: all, namespaces: namespaceLabels)
                        egressRules += Self.rules(direction: "daddr", peers: destinations, ports: rule.ports,
                                                  portsOn: destinations.pods, verdict: "return")
                    }
                }
            }
            let id = "\(pod.namespace)/\(pod.object.objectName)"
            let hash = NFTFragment.hash(id)
            if ingressSelected {
                let chain = "ingress-\(hash)-\(id)"
                chains[chain] = ingressRules + ["reject with icmp type admin-prohibited"]
                ingress[pod.ip] = chain
            }
            if egressSelected {
                let chain = "egress-\(hash)-\(id)"
                chains[chain] = egressRules + ["reject with icmp type admin-prohibited"]
                egress[pod.ip] = chain
            }
        }
    }

    /// `policyTypes`, or upstream's default: Ingress, and Egress when the policy has egress rules.
    static func policyTypes(_ policy: networking.v1.NetworkPolicy) -> [String] {
        if let types = policy.spec?.policyTypes, !types.isEmpty { return types }
        return (policy.spec?.egress ?? []).isEmpty ? ["Ingress"] : ["Ingress", "Egress"]
    }

    /// Whom a rule's peer list admits: everyone (no list), or the union of its pods and address blocks.
    struct Peers {
        var everyone = false
        var pods: [Pod] = []
        /// `cidr` and the ranges cut out of it.
        var blocks: [(cidr: String, except: [String])] = []
    }

    static func peers(_ list: [networking.v1.NetworkPolicyPeer]?, policy: networking.v1.NetworkPolicy, pods: [Pod],
                      namespaces: [String: [String: String]]) -> Peers {
        guard let list, !list.isEmpty else { return Peers(everyone: true) }
        var peers = Peers()
        for peer in list {
            if let block = peer.ipBlock {
                peers.blocks.append((block.cidr, block.except ?? []))
                continue
            }
            let podSelector = peer.podSelector.map { LabelSelector.orNothing($0) }
            let namespaceSelector = peer.namespaceSelector.map { LabelSelector.orNothing($0) }
            for pod in pods {
                let namespaceMatches = namespaceSelector.map { $0.matches(namespaces[pod.namespace] ?? [:]) }
                    ?? (pod.namespace == policy.objectNamespace)
                guard namespaceMatches, podSelector?.matches(pod.labels) ?? true else { continue }
                peers.pods.append(pod)
            }
        }
        return peers
    }

    /// The nft rules of one policy rule: a match on the peers' addresses (if any restriction) and on each port.
    static func rules(direction: String, peers: Peers, ports: [networking.v1.NetworkPolicyPort]?, portsOn targets: [Pod],
                      verdict: String) -> [String] {
        var matches: [String] = []
        if peers.everyone {
            matches = [""]
        } else {
            let addresses = Set(peers.pods.map(\.ip)).sorted()
            if !addresses.isEmpty { matches.append("ip \(direction) { \(addresses.joined(separator: ", ")) } ") }
            for block in peers.blocks {
                let except = block.except.isEmpty ? "" : "ip \(direction) != { \(block.except.joined(separator: ", ")) } "
                matches.append("ip \(direction) \(block.cidr) \(except)")
            }
        }
        let portMatches = portClauses(ports, targets: targets)
        var rules: [String] = []
        for match in matches {
            for port in portMatches { rules.append("\(match)\(port)\(verdict)") }
        }
        return rules
    }

    /// `meta l4proto tcp th dport 80 ` clauses; one empty clause when any port is allowed. A named port that
    /// no target pod has admits nothing.
    static func portClauses(_ ports: [networking.v1.NetworkPolicyPort]?, targets: [Pod]) -> [String] {
        guard let ports, !ports.isEmpty else { return [""] }
        var clauses: [String] = []
        for port in ports {
            let proto = (port.protocol ?? "TCP").lowercased()
            switch port.port {
            case .none:
                clauses.append("meta l4proto \(proto) ")
            case .some(.int(let number)):
                let range = port.endPort.map { $0 > number ? "\(number)-\($0)" : "\(number)" } ?? "\(number)"
                clauses.append("meta l4proto \(proto) th dport \(range) ")
            case .some(.string(let name)):
                let numbers = Set(targets.flatMap { pod in
                    (pod.object.spec?.containers ?? []).flatMap { $0.ports ?? [] }
                        .filter { $0.name == name && ($0.protocol ?? "TCP").lowercased() == proto }.map(\.containerPort)
                }).sorted()
                if !numbers.isEmpty {
                    clauses.append("meta l4proto \(proto) th dport { \(numbers.map(String.init).joined(separator: ", ")) } ")
                }
            }
        }
        return clauses
    }

    /// The table: a forward hook sending each local pod's new connections through its chains.
    func script(table: String) -> String {
        let name = "ip \(table)"
        var out = "add table \(name)\ndelete table \(name)\n"
        out += """
            table \(name) {
                comment "NetworkPolicy, written by skiff"
                map ingress { type ipv4_addr : verdict; }
                map egress { type ipv4_addr : verdict; }
                chain forward { type filter hook forward priority 0; policy accept;
                    ct state established,related accept
                    ip saddr vmap @egress
                    ip daddr vmap @ingress
                }

            """
        for chain in chains.keys.sorted() {
            out += "    chain \(chain) {\n"
            for rule in chains[chain] ?? [] { out += "        \(rule)\n" }
            out += "    }\n"
        }
        out += "}\n"
        for (map, entries) in [("egress", egress), ("ingress", ingress)] where !entries.isEmpty {
            let items = entries.sorted { $0.key < $1.key }.map { "\($0.key) : jump \($0.value)" }
            out += "add element \(name) \(map) { \(items.joined(separator: ", ")) }\n"
        }
        return out
    }
}
