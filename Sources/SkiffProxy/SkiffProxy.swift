/// Skiff's service plane: `Proxy/` programs the kernel's nftables from Services and EndpointSlices (upstream's
/// kube-proxy in nftables mode); `DNS/` is the cluster DNS (CoreDNS's `kubernetes` plugin).
public enum SkiffProxy {
    /// The cluster domain names are served under (kubelet's `--cluster-domain`).
    public static let defaultClusterDomain = "cluster.local"
}
