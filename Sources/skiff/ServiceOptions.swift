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

    @Option(help: "The pod range: traffic to a Service from outside it is masqueraded.")
    var clusterCIDR: String = "10.244.0.0/16"

    @Flag(help: "Do not run the service proxy (kube-proxy) on this node.")
    var disableProxy = false

    @Flag(name: .customLong("disable-cluster-dns"), help: "Run no cluster DNS (skiff server) and give pods the host's resolvers instead.")
    var disableClusterDNS = false

    func validate() throws {
        guard Self.isIPv4(clusterDNS) else { throw ValidationError("--cluster-dns must be an IPv4 address (got \"\(clusterDNS)\")") }
        guard (try? DNSName(clusterDomain)) != nil, !clusterDomain.isEmpty else {
            throw ValidationError("--cluster-domain must be a DNS domain such as cluster.local (got \"\(clusterDomain)\")")
        }
        guard (1...65535).contains(dnsPort) else { throw ValidationError("--dns-port must be between 1 and 65535 (got \(dnsPort))") }
        let parts = clusterCIDR.split(separator: "/")
        guard parts.count == 2, Self.isIPv4(String(parts[0])), let bits = Int(parts[1]), (0...32).contains(bits) else {
            throw ValidationError("--cluster-cidr must be an IPv4 range such as 10.244.0.0/16 (got \"\(clusterCIDR)\")")
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
