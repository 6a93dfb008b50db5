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
    func nodeObject(now: Date) -> JSONValue {
        var nodeLabels: JSONObject = [
            "kubernetes.io/hostname": .string(name), "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
            "node.skiff.dev/runtime": "simulated",
        ]
        for (key, value) in labels { nodeLabels[key] = .string(value) }
        return [
            "apiVersion": "v1", "kind": "Node",
            "metadata": ["name": .string(name), "labels": .object(nodeLabels)],
            "spec": ["podCIDR": .string(podCIDR), "podCIDRs": [.string(podCIDR)]],
            "status": status(now: now, ready: true),
        ]
    }

    /// The node's status with its Ready condition as given (the others all healthy).
    func status(now: Date, ready: Bool) -> JSONValue {
        let resources: JSONValue = ["cpu": .string(cpu), "memory": .string(memory), "pods": .string(String(pods)),
                                    "ephemeral-storage": "100Gi"]
        return [
            "capacity": resources, "allocatable": resources,
            "conditions": NodeRegistration.conditions(now: now, ready: ready),
            "addresses": [["type": "InternalIP", "address": .string(internalIP)], ["type": "Hostname", "address": .string(name)]],
            "daemonEndpoints": ["kubeletEndpoint": ["Port": 10250]],
            "nodeInfo": [
                "machineID": .string(name), "systemUUID": .string(name), "bootID": .string(name),
                "kernelVersion": "simulated", "osImage": "Skiff simulated node", "containerRuntimeVersion": "simulated://0.1.0",
                "kubeletVersion": "v1.32.1+skiff", "kubeProxyVersion": "v1.32.1+skiff", "operatingSystem": "linux",
                "architecture": "amd64",
            ],
        ]
    }
}
