import Foundation
public import SkiffAPI

/// Amounts of the resources the scheduler accounts for: CPU in thousandths, memory in bytes.
public struct Resources: Sendable, Hashable {
    public var milliCPU: Int64
    public var memory: Int64

    public init(milliCPU: Int64 = 0, memory: Int64 = 0) {
        self.milliCPU = milliCPU
        self.memory = memory
    }

    static func + (a: Resources, b: Resources) -> Resources {
        Resources(milliCPU: a.milliCPU + b.milliCPU, memory: a.memory + b.memory)
    }

    static func - (a: Resources, b: Resources) -> Resources {
        Resources(milliCPU: a.milliCPU - b.milliCPU, memory: a.memory - b.memory)
    }

    /// Each resource the larger of the two (an init container runs alone, so it is a floor, not a sum).
    func max(_ other: Resources) -> Resources {
        Resources(milliCPU: Swift.max(milliCPU, other.milliCPU), memory: Swift.max(memory, other.memory))
    }
}

/// What scheduling needs of a pod, read once from the model: its requests, constraints and owner.
public struct PodInfo: Sendable, Equatable {
    public var namespace: String
    public var name: String
    public var uid: String
    public var nodeName: String
    public var schedulerName: String
    public var priority: Int32
    /// Seconds since 1970 of `metadata.creationTimestamp` (0 when absent): ties in the queue go to the older pod.
    public var created: Double
    /// The requests the pod takes from a node.
    public var requests: Resources
    /// The requests with upstream's non-zero defaults (100m CPU, 200Mi memory per container), for scoring only.
    public var nonZeroRequests: Resources
    public var nodeSelector: [String: String]
    public var requiredNodeAffinity: core.v1.NodeSelector?
    public var tolerations: [core.v1.Toleration]
    public var labels: [String: String]
    /// `podAffinity` required terms: a node qualifies only near pods all of them select.
    public var requiredAffinity: [AffinityTerm]
    /// `podAntiAffinity` required terms: a node qualifies only away from pods any of them selects.
    public var requiredAntiAffinity: [AffinityTerm]
    /// `preferredDuringScheduling` node affinity terms.
    public var preferredNodeAffinity: [core.v1.PreferredSchedulingTerm]
    /// `podAffinity` preferred terms: nodes near pods they select score higher.
    public var preferredAffinity: [WeightedAffinityTerm]
    /// `podAntiAffinity` preferred terms: nodes near pods they select score lower.
    public var preferredAntiAffinity: [WeightedAffinityTerm]
    /// Whether placed, this pod's terms weigh on where others go (InterPodAffinity's symmetry).
    var hasAffinityForOthers: Bool { !preferredAffinity.isEmpty || !preferredAntiAffinity.isEmpty || !requiredAffinity.isEmpty }
    /// `DoNotSchedule` topology spread constraints.
    public var spreadConstraints: [SpreadConstraint]
    /// The uid of the controller owner (`controller: true` ownerReference), whose pods are spread across nodes.
    public var controllerUID: String?
    public var isDeleting: Bool
    /// `Succeeded` or `Failed`: holds no resources any more.
    public var isTerminal: Bool

    /// `namespace/name`.
    public var key: String { "\(namespace)/\(name)" }

    static let defaultMilliCPU: Int64 = 100
    static let defaultMemory: Int64 = 200 * 1024 * 1024

    /// Reads a pod model.
    public init(_ pod: core.v1.Pod) {
        let meta = pod.metadata
        namespace = meta?.namespace ?? ""
        name = meta?.name ?? ""
        uid = meta?.uid ?? ""
        let spec = pod.spec
        nodeName = spec?.nodeName ?? ""
        schedulerName = spec?.schedulerName ?? ""
        priority = spec?.priority ?? 0
        created = meta?.creationTimestamp?.date?.timeIntervalSince1970 ?? 0
        nodeSelector = spec?.nodeSelector ?? [:]
        requiredNodeAffinity = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
        tolerations = spec?.tolerations ?? []
        labels = meta?.labels ?? [:]
        let ownNamespace = namespace
        requiredAffinity = (spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [])
            .map { AffinityTerm($0, ownerNamespace: ownNamespace) }
        requiredAntiAffinity = (spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [])
            .map { AffinityTerm($0, ownerNamespace: ownNamespace) }
        preferredNodeAffinity = spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []
        preferredAffinity = (spec?.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [])
            .map { WeightedAffinityTerm($0, ownerNamespace: ownNamespace) }
        preferredAntiAffinity = (spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [])
            .map { WeightedAffinityTerm($0, ownerNamespace: ownNamespace) }
        let ownLabels = labels
        spreadConstraints = (spec?.topologySpreadConstraints ?? []).compactMap { SpreadConstraint($0, podLabels: ownLabels) }
        controllerUID = meta?.ownerReferences?.first(where: { $0.controller == true })?.uid
        isDeleting = meta?.deletionTimestamp.map { !$0.isZero } ?? false
        let phase = pod.status?.phase ?? ""
        isTerminal = phase == "Succeeded" || phase == "Failed"
        (requests, nonZeroRequests) = Self.computeRequests(spec)
    }

    /// Upstream's `computePodResourceRequest`: the sum over containers, at least each init container's,
    /// plus the pod overhead. A resource with only a limit is requested at the limit, as API defaulting does.
    static func computeRequests(_ spec: core.v1.PodSpec?) -> (Resources, Resources) {
        guard let spec else { return (Resources(), Resources()) }
        var sum = Resources()
        var nonZero = Resources()
        for container in spec.containers {
            let r = containerRequests(container.resources)
            sum = sum + r
            nonZero = nonZero + Resources(milliCPU: r.milliCPU == 0 ? defaultMilliCPU : r.milliCPU,
                                          memory: r.memory == 0 ? defaultMemory : r.memory)
        }
        for container in spec.initContainers ?? [] {
            let r = containerRequests(container.resources)
            sum = sum.max(r)
            nonZero = nonZero.max(r)
        }
        if let overhead = spec.overhead {
            let o = Resources(milliCPU: overhead["cpu"]?.milliValue ?? 0, memory: overhead["memory"]?.value ?? 0)
            sum = sum + o
            nonZero = nonZero + o
        }
        return (sum, nonZero)
    }

    static func containerRequests(_ resources: core.v1.ResourceRequirements?) -> Resources {
        func amount(_ name: String, _ read: (Quantity) -> Int64?) -> Int64 {
            if let q = resources?.requests?[name] { return read(q) ?? 0 }
            if let q = resources?.limits?[name] { return read(q) ?? 0 }
            return 0
        }
        return Resources(milliCPU: amount("cpu") { $0.milliValue }, memory: amount("memory") { $0.value })
    }
}

extension PodInfo {
    /// A pod described directly (tests and benchmarks), with no constraints unless given.
    public init(namespace: String, name: String, uid: String = "", nodeName: String = "", schedulerName: String = "",
                priority: Int32 = 0, created: Double = 0, requests: Resources = Resources(),
                nodeSelector: [String: String] = [:], requiredNodeAffinity: core.v1.NodeSelector? = nil,
                tolerations: [core.v1.Toleration] = [], labels: [String: String] = [:],
                requiredAffinity: [AffinityTerm] = [], requiredAntiAffinity: [AffinityTerm] = [],
                preferredNodeAffinity: [core.v1.PreferredSchedulingTerm] = [],
                preferredAffinity: [WeightedAffinityTerm] = [], preferredAntiAffinity: [WeightedAffinityTerm] = [],
                spreadConstraints: [SpreadConstraint] = [], controllerUID: String? = nil) {
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.nodeName = nodeName
        self.schedulerName = schedulerName
        self.priority = priority
        self.created = created
        self.requests = requests
        nonZeroRequests = Resources(milliCPU: requests.milliCPU == 0 ? Self.defaultMilliCPU : requests.milliCPU,
                                    memory: requests.memory == 0 ? Self.defaultMemory : requests.memory)
        self.nodeSelector = nodeSelector
        self.requiredNodeAffinity = requiredNodeAffinity
        self.tolerations = tolerations
        self.labels = labels
        self.requiredAffinity = requiredAffinity
        self.requiredAntiAffinity = requiredAntiAffinity
        self.preferredNodeAffinity = preferredNodeAffinity
        self.preferredAffinity = preferredAffinity
        self.preferredAntiAffinity = preferredAntiAffinity
        self.spreadConstraints = spreadConstraints
        self.controllerUID = controllerUID
        isDeleting = false
        isTerminal = false
    }
}
