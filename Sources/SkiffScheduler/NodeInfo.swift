public import SkiffAPI

/// A node as the scheduler sees it: what it offers, its constraints, and what pods bound there use.
public struct NodeInfo: Sendable {
    /// The node's scheduling-relevant description (a change to it may make pods schedulable).
    public struct Spec: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var taints: [core.v1.Taint]
        public var unschedulable: Bool
        public var allocatable: Resources
        public var allowedPods: Int

        /// Reads a node model; allocatable falls back to capacity, as the kubelet reports both.
        public init(_ node: core.v1.Node) {
            name = node.metadata?.name ?? ""
            labels = node.metadata?.labels ?? [:]
            taints = node.spec?.taints ?? []
            unschedulable = node.spec?.unschedulable ?? false
            let offered = node.status?.allocatable ?? node.status?.capacity ?? [:]
            allocatable = Resources(milliCPU: offered["cpu"]?.milliValue ?? 0, memory: offered["memory"]?.value ?? 0)
            allowedPods = Int(offered["pods"]?.value ?? 0)
        }

        public init(name: String, labels: [String: String] = [:], taints: [core.v1.Taint] = [],
                    unschedulable: Bool = false, allocatable: Resources, allowedPods: Int) {
            self.name = name
            self.labels = labels
            self.taints = taints
            self.unschedulable = unschedulable
            self.allocatable = allocatable
            self.allowedPods = allowedPods
        }
    }

    public var spec: Spec
    /// False for a placeholder holding pods bound to a node the informer has not shown yet.
    public var exists: Bool
    public var requested = Resources()
    public var nonZeroRequested = Resources()
    public var podCount = 0
    /// Pods per controller uid, for spreading.
    public var controllerPods: [String: Int] = [:]

    public var name: String { spec.name }

    public init(spec: Spec, exists: Bool = true) {
        self.spec = spec
        self.exists = exists
    }

    mutating func add(_ pod: PodInfo) {
        requested = requested + pod.requests
        nonZeroRequested = nonZeroRequested + pod.nonZeroRequests
        podCount += 1
        if let owner = pod.controllerUID { controllerPods[owner, default: 0] += 1 }
    }

    mutating func remove(_ pod: PodInfo) {
        requested = requested - pod.requests
        nonZeroRequested = nonZeroRequested - pod.nonZeroRequests
        podCount -= 1
        if let owner = pod.controllerUID {
            let left = (controllerPods[owner] ?? 1) - 1
            controllerPods[owner] = left > 0 ? left : nil
        }
    }
}
