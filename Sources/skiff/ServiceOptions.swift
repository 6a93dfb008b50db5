import ArgumentParser
import SkiffProxy

/// How a node carries Service traffic and names: the proxy and the cluster DNS (`skiff server`, `skiff agent`).
struct ServiceOptions: ParsableArguments {
    @Option(name: .customLong("cluster-dns"),
            help: "The cluster DNS Service's ClusterIP, which pods' resolv.conf names (kubelet's --cluster-dns).")
    var clusterDNS: String = "10.96.0.10"

    @Option(help: "The cluster's DNS domain (kubelet's --cluster-domain).")
    var clusterDomain: String = SkiffProxy.defaultClusterDomain

    @Option(help: "The port the cluster DNS listens on at the node's address; the kube-dns Service sends port 53 to it.")
    var dnsPort: Int = 53

    @Option(help: "The node's resolver file: pods with dnsPolicy Default get its servers, and the cluster DNS forwards other names to them.")
    var resolvConf: String = "/etc/resolv.conf"

    @Option(help: "The pod range: traffic to a Service from outside it is masqueraded.")
    var clusterCIDR: String = "10.244.0.0/16"

    @Flag(help: "Do not run the service proxy (kube-proxy) on this node.")
    var disableProxy = false

    @Flag(name: .customLong("disable-cluster-dns"), help: "Run no cluster DNS (skiff server) and give pods the host's resolvers instead.")
    var disableClusterDNS = false

    func validate() throws {
        guard Self.isIPv4(clusterDNS) else { throw ValidationError("--cluster-dns must be an IPv4 address (got \"\(clusterDNS)\")") }
        guard Self.isDNSSubdomain(clusterDomain), (try? DNSName(clusterDomain)) != nil else {
            throw ValidationError("--cluster-domain must be a DNS domain such as cluster.local (got \"\(clusterDomain)\")")
        }
        guard resolvConf.isEmpty || resolvConf.hasPrefix("/") else {
            throw ValidationError("--resolv-conf must be an absolute path, or empty for none (got \"\(resolvConf)\")")
        }
        guard (1...65535).contains(dnsPort) else { throw ValidationError("--dns-port must be between 1 and 65535 (got \(dnsPort))") }
        try Self.checkClusterCIDR(clusterCIDR)
    }

    static func checkClusterCIDR(_ cidr: String) throws {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, isIPv4(String(parts[0])), let bits = Int(parts[1]), (0...32).contains(bits) else {
            throw ValidationError("--cluster-cidr must be an IPv4 range such as 10.244.0.0/16 (got \"\(cidr)\")")
        }
    }

    /// A DNS-1123 subdomain, as the kubelet's `--cluster-domain` must be: dot-separated labels of lowercase
    /// letters, digits and inner hyphens.
    static func isDNSSubdomain(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard let first = label.first, let last = label.last, label.count <= 63 else { return false }
            let allowed = label.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
            return allowed && first != "-" && last != "-"
        }
    }

    static func isIPv4(_ text: String) -> Bool {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { UInt8($0) != nil }
    }

    func proxyNetwork(nodeName: String) -> ProxyNetwork {
        ProxyNetwork(clusterCIDR: clusterCIDR, nodeName: nodeName)
    }
}
