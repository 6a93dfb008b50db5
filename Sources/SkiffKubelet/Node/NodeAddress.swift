/// The address a node reports as its `InternalIP`, for components that serve on it beside the kubelet
/// (the cluster DNS publishes it as the kube-dns Service's endpoint).
public enum NodeAddress {
    /// The first IPv4 address of an interface that is up and not loopback.
    public static func internalIP() -> String { NodeInfo.hostIP() }
}
