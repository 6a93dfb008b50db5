import SkiffAPI

/// Forms a pod's resolver configuration as the kubelet's DNS configurer does (`pkg/kubelet/network/dns`):
/// `dnsPolicy` picks the base (the cluster's DNS, the node's resolver file, or nothing), `spec.dnsConfig` is
/// appended to it, and the result is cut to the limits glibc's resolver lives with. Pure: the node's file
/// is read by the caller (`PodDNS+ResolvConf.swift`), so tests give it as text.
struct PodDNS: Sendable {
    /// Core validation's limits (`MaxDNSNameservers`; `MaxDNSSearchPaths`/`MaxDNSSearchListChars` as
    /// ExpandedDNSConfig raised them), and the longest search domain glibc 2.28 does not abort on.
    static let maxNameservers = 3
    static let maxSearchPaths = 32
    static let maxSearchListChars = 2048
    static let maxSearchLength = 253
    static let defaultOptions = ["ndots:5"]

    /// Nameservers of cluster-first pods (`--cluster-dns`); empty: those pods fall back to the node's file.
    var clusterDNS: [String]
    /// The cluster's domain (`--cluster-domain`); empty: no cluster search domains.
    var clusterDomain: String
    /// The node's resolver file (`--resolv-conf`); empty: none, and node-DNS pods get `127.0.0.1` and `search .`.
    var resolvConf: String

    /// Where a policy takes its base from: upstream's `podDNSCluster`, `podDNSHost` and `podDNSNone` (`custom`:
    /// nothing but the pod's `dnsConfig`).
    enum Base: Equatable, Sendable {
        case cluster, host, custom
    }

    /// What the node's resolver file says: nameservers accumulate, the last `search` and `options` lines win.
    struct HostResolver: Equatable, Sendable {
        var nameservers: [String] = []
        var searches: [String] = []
        var options: [String] = []
    }

    /// Something the kubelet warns about; with a `reason` it is also a Warning event on the pod.
    struct Warning: Equatable, Sendable {
        var reason: String?
        var message: String
    }

    /// The base a pod's policy gives it; nil for a policy the API server should have refused. A missing
    /// policy is `ClusterFirst`, the API's default.
    static func base(policy: String?, hostNetwork: Bool) -> Base? {
        switch policy ?? "ClusterFirst" {
        case "None": .custom
        case "ClusterFirstWithHostNet": .cluster
        // A host-network pod is on the node's network, where the cluster's DNS may not be reachable.
        case "ClusterFirst": hostNetwork ? .host : .cluster
        case "Default": .host
        default: nil
        }
    }

    /// The pod's configuration from the node's file (`host`; nil when `resolvConf` is empty), and what to
    /// warn about: a missing cluster DNS, limits that cut nameservers or search domains.
    func form(for pod: core.v1.Pod, host: HostResolver?) -> (config: DNSConfig, warnings: [Warning]) {
        let spec = pod.spec
        var warnings: [Warning] = []
        var base = Self.base(policy: spec?.dnsPolicy, hostNetwork: spec?.hostNetwork ?? false)
        if base == nil {
            warnings.append(Warning(message: "invalid DNSPolicy=\(spec?.dnsPolicy ?? ""): falling back to ClusterFirst"))
            base = .cluster
        }
        var config = DNSConfig(servers: host?.nameservers ?? [], searches: host?.searches ?? [],
                               options: host?.options ?? [])
        if base == .custom {
            config = DNSConfig()
        } else if base == .cluster, !clusterDNS.isEmpty {
            // The cluster's DNS alone: it forwards what it cannot answer to the node's upstream servers.
            config.servers = clusterDNS
            config.searches = clusterSearches(namespace: pod.objectNamespace, host: config.searches)
            config.options = Self.defaultOptions
        } else {
            if base == .cluster {
                let message = "kubelet does not have ClusterDNS IP configured and cannot create Pod using "
                    + "\"ClusterFirst\" policy. Falling back to \"Default\" policy."
                let described = "\(pod.objectName)_\(pod.objectNamespace)(\(pod.uid))"
                warnings.append(Warning(reason: "MissingClusterDNS", message: "pod: \"\(described)\". \(message)"))
            }
            if host == nil {
                // No node file: the resolver's own default, the local machine, said explicitly.
                config.servers = ["127.0.0.1"]
                config.searches = ["."]
            }
        }
        if let extra = spec?.dnsConfig {
            config.servers = Self.omitDuplicates(config.servers + (extra.nameservers ?? []))
            config.searches = Self.omitDuplicates(config.searches + (extra.searches ?? []))
            config.options = Self.mergeOptions(config.options, extra.options ?? [])
        }
        return fitLimits(config, warnings: warnings)
    }

    /// `<ns>.svc.<domain> svc.<domain> <domain>`, then the node's search domains, each once.
    func clusterSearches(namespace: String, host: [String]) -> [String] {
        guard !clusterDomain.isEmpty else { return host }
        let cluster = ["\(namespace).svc.\(clusterDomain)", "svc.\(clusterDomain)", clusterDomain]
        return Self.omitDuplicates(cluster + host)
    }

    /// Options by name: a pod's `dnsConfig` option replaces the base's of the same name in place (upstream's
    /// order is a Go map's, so any order is as faithful; this one is stable).
    static func mergeOptions(_ base: [String], _ extra: [core.v1.PodDNSConfigOption]) -> [String] {
        var names: [String] = []
        var values: [String: String] = [:]
        func put(_ name: String, _ value: String) {
            if values.updateValue(value, forKey: name) == nil { names.append(name) }
        }
        for option in base {
            if let colon = option.firstIndex(of: ":") {
                put(String(option[..<colon]), String(option[option.index(after: colon)...]))
            } else {
                put(option, "")
            }
        }
        for option in extra {
            // The API server refuses options without a name; one that slipped through would print as a blank.
            guard let name = option.name, !name.isEmpty else { continue }
            put(name, option.value ?? "")
        }
        return names.map { name in
            let value = values[name] ?? ""
            return value.isEmpty ? name : "\(name):\(value)"
        }
    }

    static func omitDuplicates(_ list: [String]) -> [String] {
        var seen = Set<String>()
        return list.filter { seen.insert($0).inserted }
    }

    /// At most 3 nameservers; at most 32 search domains of at most 253 characters, 2,048 in all, cut from
    /// the end; each cut is a `DNSConfigForming` warning with the line that is applied.
    func fitLimits(_ formed: DNSConfig, warnings: [Warning]) -> (config: DNSConfig, warnings: [Warning]) {
        var config = formed, warnings = warnings
        if config.servers.count > Self.maxNameservers {
            config.servers = Array(config.servers.prefix(Self.maxNameservers))
            let line = config.servers.joined(separator: " ")
            let message = "Nameserver limits were exceeded, some nameservers have been omitted, the applied "
                + "nameserver line is: \(line)"
            warnings.append(Warning(reason: "DNSConfigForming", message: message))
        }
        var searches = Array(config.searches.prefix(Self.maxSearchPaths))
        var exceeded = searches.count < config.searches.count
        let short = searches.filter { $0.utf8.count <= Self.maxSearchLength }
        exceeded = exceeded || short.count < searches.count
        searches = short
        var length = searches.joined(separator: " ").utf8.count
        while length > Self.maxSearchListChars, let last = searches.popLast() {
            length -= last.utf8.count + 1
            exceeded = true
        }
        config.searches = searches
        if exceeded {
            let line = searches.joined(separator: " ")
            let message = "Search Line limits were exceeded, some search paths have been omitted, the applied "
                + "search line is: \(line)"
            warnings.append(Warning(reason: "DNSConfigForming", message: message))
        }
        return (config, warnings)
    }
}
