/// Where the proxy's table sits and which ranges it treats as the cluster's.
public struct ProxyNetwork: Sendable, Equatable {
    /// The nftables table (family `ip`); tests use their own.
    public var table: String
    /// The Service range: traffic to an address in it without rules is rejected here, never routed out.
    public var serviceCIDR: String
    /// The pod range: traffic from outside it to a Service is masqueraded, so replies come back through here.
    public var clusterCIDR: String
    /// This node's name, for `Local` traffic policies.
    public var nodeName: String?
    /// The interface the Service range is routed into (`ServiceRoute`).
    public var serviceDevice: String

    public init(table: String = "skiff-proxy", serviceCIDR: String = "10.96.0.0/12", clusterCIDR: String = "10.244.0.0/16",
                nodeName: String? = nil, serviceDevice: String = "skiff-svc") {
        self.table = table
        self.serviceDevice = serviceDevice
        self.serviceCIDR = serviceCIDR
        self.clusterCIDR = clusterCIDR
        self.nodeName = nodeName
    }
}

/// The part of the proxy's table that changes with Services (kube-proxy's nftables mode): a chain per
/// Service port and per endpoint, elements of the verdict maps that lead to them, and affinity sets. The
/// fixed chains and the maps themselves are in `NFTScript.skeleton`. Kept per Service port, each with the
/// `ServicePortInfo` it was made from: a ruleset built beside the last one reuses the parts of unchanged
/// ports, and the difference between two looks only at the ports that changed.
struct NFTRuleset: Sendable {
    struct Entry: Sendable {
        var info: ServicePortInfo
        var fragment: NFTFragment
    }

    /// Service port id → its part of the table.
    var entries: [String: Entry] = [:]

    static let maps = ["service-ips", "service-nodeports", "no-endpoint-services", "no-endpoint-nodeports", "cluster-ips"]

    init() {}

    /// The ruleset of `services`, reusing `previous`'s parts for ports that did not change.
    init(services: [ServicePortInfo], network: ProxyNetwork, reusing previous: NFTRuleset? = nil) {
        entries.reserveCapacity(services.count)
        for service in services {
            if let old = previous?.entries[service.id], old.info == service {
                entries[service.id] = old
            } else {
                var fragment = NFTFragment()
                fragment.add(service, network: network)
                entries[service.id] = Entry(info: service, fragment: fragment)
            }
        }
    }

    /// Every chain of every port.
    var chains: [String: [String]] {
        var all: [String: [String]] = [:]
        for entry in entries.values { all.merge(entry.fragment.chains) { first, _ in first } }
        return all
    }

    /// Every map's elements (each map present, maybe empty).
    var elements: [String: [String: String]] {
        var all = Dictionary(uniqueKeysWithValues: Self.maps.map { ($0, [String: String]()) })
        for entry in entries.values {
            for (map, elements) in entry.fragment.elements { all[map, default: [:]].merge(elements) { first, _ in first } }
        }
        return all
    }

    var affinitySets: [String: Int32] {
        var all: [String: Int32] = [:]
        for entry in entries.values { all.merge(entry.fragment.affinitySets) { first, _ in first } }
        return all
    }

    /// The allocated ClusterIPs (a set several ports share).
    var clusterIPs: Set<String> {
        var all = Set<String>()
        for entry in entries.values { all.formUnion(entry.info.clusterIPs) }
        return all
    }
}

/// One Service port's chains, map elements and affinity sets. Chain names carry a hash (nftables names are at
/// most 256 bytes and must stay unique) and the readable identity.
struct NFTFragment: Equatable, Sendable {
    /// Chain name → its rules, in order.
    var chains: [String: [String]] = [:]
    /// Map or set name → element → value (`goto chain` for verdict maps, empty for sets).
    var elements: [String: [String: String]] = [:]
    /// Affinity set name → its timeout in seconds.
    var affinitySets: [String: Int32] = [:]

    mutating func add(_ service: ServicePortInfo, network: ProxyNetwork) {
        let hash = Self.hash(service.id)
        let serviceChain = "service-\(hash)-\(service.id)"
        let externalChain = "external-\(hash)-\(service.id)"
        for ip in service.clusterIPs { elements["cluster-ips", default: [:]][ip] = "" }

        let internalEndpoints = service.usableEndpoints(local: service.internalLocal ? network.nodeName : nil)
        let allEndpoints = service.usableEndpoints(local: nil)
        let localEndpoints = service.usableEndpoints(local: network.nodeName)
        let externalEndpoints = service.externalLocal ? localEndpoints : allEndpoints
        let reachedFromOutside = service.nodePort != nil || !service.externalIPs.isEmpty

        // Endpoint chains for every endpoint a path below may choose.
        var endpointChains: [ProxyEndpoint: String] = [:]
        for endpoint in Set(internalEndpoints + externalEndpoints) {
            let name = "endpoint-\(Self.hash(service.id + "|" + endpoint.ip))-\(service.id)__\(endpoint.ip)/\(endpoint.port)"
            endpointChains[endpoint] = name
            var rules = ["ip saddr \(endpoint.ip) jump mark-for-masquerade"]
            if let timeout = service.affinitySeconds {
                let set = Self.affinitySet(chain: name, timeout: timeout)
                affinitySets[set] = timeout
                rules.append("update @\(set) { ip saddr }")
            }
            rules.append("meta l4proto \(service.proto) dnat to \(endpoint.ip):\(endpoint.port)")
            chains[name] = rules
        }

        let protoPort = "\(service.proto) . \(service.port)"
        if internalEndpoints.isEmpty {
            for ip in service.clusterIPs { elements["no-endpoint-services", default: [:]]["\(ip) . \(protoPort)"] = "goto reject-chain" }
        } else {
            chains[serviceChain] = ["ip saddr != \(network.clusterCIDR) jump mark-for-masquerade"]
                + Self.balance(internalEndpoints, chains: endpointChains, affinity: service.affinitySeconds)
            for ip in service.clusterIPs { elements["service-ips", default: [:]]["\(ip) . \(protoPort)"] = "goto \(serviceChain)" }
        }

        guard reachedFromOutside else { return }
        if externalEndpoints.isEmpty {
            // No endpoint here for outside traffic: refused (Local policy) rather than sent elsewhere.
            if let nodePort = service.nodePort {
                elements["no-endpoint-nodeports", default: [:]]["\(service.proto) . \(nodePort)"] = "goto reject-chain"
            }
            for ip in service.externalIPs { elements["no-endpoint-services", default: [:]]["\(ip) . \(protoPort)"] = "goto reject-chain" }
            return
        }
        if service.externalLocal {
            // Pods and this host keep cluster-wide balancing; outside clients keep their source address.
            let external = "local-\(hash)-\(service.id)"
            chains[external] = Self.balance(localEndpoints, chains: endpointChains, affinity: service.affinitySeconds)
            var rules = ["ip saddr \(network.clusterCIDR) goto \(serviceChain)",
                         "fib saddr type local jump mark-for-masquerade",
                         "fib saddr type local goto \(serviceChain)",
                         "goto \(external)"]
            if internalEndpoints.isEmpty { rules = ["goto \(external)"] }
            chains[externalChain] = rules
        } else if internalEndpoints.isEmpty {
            chains[externalChain] = ["jump mark-for-masquerade"]
                + Self.balance(allEndpoints, chains: endpointChains, affinity: service.affinitySeconds)
        } else {
            chains[externalChain] = ["jump mark-for-masquerade", "goto \(serviceChain)"]
        }
        if let nodePort = service.nodePort {
            elements["service-nodeports", default: [:]]["\(service.proto) . \(nodePort)"] = "goto \(externalChain)"
        }
        for ip in service.externalIPs { elements["service-ips", default: [:]]["\(ip) . \(protoPort)"] = "goto \(externalChain)" }
    }

    /// Rules that send a new connection to one endpoint: a client with a live affinity entry to its endpoint,
    /// any other at random.
    static func balance(_ endpoints: [ProxyEndpoint], chains: [ProxyEndpoint: String], affinity: Int32?) -> [String] {
        let names = endpoints.compactMap { chains[$0] }
        var rules: [String] = []
        if let affinity {
            for name in names { rules.append("ip saddr @\(affinitySet(chain: name, timeout: affinity)) goto \(name)") }
        }
        // Endpoint i of n is taken with probability 1/(n-i) among those left, so each with 1/n: plain rules
        // rather than a `numgen … vmap { … }`, whose anonymous map per Service nft reads back on every change.
        for (index, name) in names.enumerated() {
            let left = names.count - index
            rules.append(left == 1 ? "goto \(name)" : "numgen random mod \(left) 0 goto \(name)")
        }
        return rules
    }

    /// The set remembering which clients an endpoint chain took (its timeout is part of the name: a set's
    /// timeout cannot change while rules use it).
    static func affinitySet(chain: String, timeout: Int32) -> String {
        "affinity-\(hash("\(chain)|\(timeout)"))"
    }

    /// Eight base-32 characters of a 64-bit FNV-1a hash: short, stable across runs, and unique enough that
    /// two identities never share a chain in practice (the readable identity follows it anyway).
    static func hash(_ text: String) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01B3
        }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
        var out: [UInt8] = []
        for _ in 0..<8 {
            out.append(alphabet[Int(value & 31)])
            value >>= 5
        }
        return String(decoding: out, as: UTF8.self)
    }
}
