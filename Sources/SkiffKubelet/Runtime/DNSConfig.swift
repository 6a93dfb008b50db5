/// A pod's resolver configuration as the kubelet hands it to a runtime (CRI's `DNSConfig`): the runtime
/// writes it as the pod's `/etc/resolv.conf`. The kubelet forms it (`PodDNS`); the runtime only renders it.
public struct DNSConfig: Sendable, Hashable {
    /// `nameserver` addresses, in order.
    public var servers: [String]
    /// `search` domains, in order.
    public var searches: [String]
    /// `options` entries (`ndots:5`, `edns0`).
    public var options: [String]

    public init(servers: [String] = [], searches: [String] = [], options: [String] = []) {
        self.servers = servers
        self.searches = searches
        self.options = options
    }

    /// Nothing to write: runtimes then give the pod the node's own file, as containerd and CRI-O do.
    public var isEmpty: Bool { servers.isEmpty && searches.isEmpty && options.isEmpty }

    /// The file's text as the kubelet's own writer laid it out (dockershim's `rewriteResolvFile`): one
    /// `nameserver` line each, then one `search` line, then one `options` line; empty parts are left out.
    public var resolvConf: String {
        var lines = servers.map { "nameserver \($0)" }
        if !searches.isEmpty { lines.append("search " + searches.joined(separator: " ")) }
        if !options.isEmpty { lines.append("options " + options.joined(separator: " ")) }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }
}
