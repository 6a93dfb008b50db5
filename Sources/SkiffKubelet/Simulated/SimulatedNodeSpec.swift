import SkiffAPI
import Foundation

/// What a simulated node reports about itself: capacity (issue 3's defaults: 32 CPUs, 256 GiB, 110 pods)
/// and the addresses its pods get.
public struct SimulatedNodeSpec: Sendable {
    public var name: String
    /// The node's index in its pool: it picks the node's address and pod range (10.244.<index>.0/24).
    public var index: Int
    public var cpu: String = "32"
    public var memory: String = "256Gi"
    public var pods: Int = 110
    public var labels: [String: String] = [:]

    public init(name: String, index: Int) {
        self.name = name
        self.index = index
    }

    /// Node `index` of a pool: `<prefix>-<index>`.
    public static func pool(prefix: String, count: Int) -> [SimulatedNodeSpec] {
        (0..<count).map { SimulatedNodeSpec(name: "\(prefix)-\($0)", index: $0) }
    }

    var internalIP: String { "10.0.\(index / 250).\(index % 250 + 2)" }
    /// The node's pod range, `10.244.<index>.0/24`.
    public var podCIDR: String { "10.244.\(index % 256).0/24" }

    /// The Node object the simulated kubelet registers (status included; it is written again through
    /// `nodes/status`, since a create may drop it).
    func nodeObject(now: Date) -> core.v1.Node {
        var nodeLabels = [
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
            "node.skiff.dev/runtime": "simulated",
        ]
        nodeLabels.merge(labels) { _, own in own }
        return core.v1.Node(metadata: meta.v1.ObjectMeta(labels: nodeLabels, name: name),
                            spec: core.v1.NodeSpec(podCIDR: podCIDR, podCIDRs: [podCIDR]),
                            status: status(now: now, ready: true))
    }

    /// The node's status with its Ready condition as given (the others all healthy).
    func status(now: Date, ready: Bool) -> core.v1.NodeStatus {
        let resources: [String: Quantity] = ["cpu": Quantity(cpu), "memory": Quantity(memory), "pods": Quantity(String(pods)),
                                             "ephemeral-storage": "100Gi"]
        return core.v1.NodeStatus(
            addresses: [core.v1.NodeAddress(address: internalIP, type: "InternalIP"), core.v1.NodeAddress(address: name, type: "Hostname")],
            allocatable: resources, capacity: resources,
            conditions: NodeRegistration.conditions(now: now, ready: ready),
            daemonEndpoints: core.v1.NodeDaemonEndpoints(kubeletEndpoint: core.v1.DaemonEndpoint(Port: 10250)),
            nodeInfo: core.v1.NodeSystemInfo(
                architecture: "amd64", bootID: name, containerRuntimeVersion: "simulated://0.1.0", kernelVersion: "simulated",
                kubeProxyVersion: "v1.32.1+skiff", kubeletVersion: "v1.32.1+skiff", machineID: name, operatingSystem: "linux",
                osImage: "Skiff simulated node", systemUUID: name))
    }
}
