public import SkiffAPI

/// The filter plugins, in upstream's default order, each returning its failure reasons (empty: the node fits);
/// PodTopologySpread and InterPodAffinity run last, from states computed once per pod. The texts are
/// upstream's, since users and tools read them in `FailedScheduling` events.
public enum Filters {
    public static let nodeNameReason = "node(s) didn't match the requested node name"
    public static let unschedulableReason = "node(s) were unschedulable"
    public static let affinityReason = "node(s) didn't match Pod's node affinity/selector"
    public static let insufficientCPU = "Insufficient cpu"
    public static let insufficientMemory = "Insufficient memory"
    public static let tooManyPods = "Too many pods"

    /// The outcome of filtering one node.
    public struct Failure: Sendable, Equatable {
        public var reasons: [String]
        /// Upstream's `UnschedulableAndUnresolvable`: evicting pods (preemption) cannot help.
        public var unresolvable: Bool
    }

    /// Runs every filter; stops at the first that fails, as the framework does. `spread` and `affinity` are
    /// the pod's PodTopologySpread and InterPodAffinity states for this cycle (nil: nothing to check).
    public static func run(_ pod: PodInfo, on node: NodeInfo, spread: TopologySpreadState? = nil,
                           affinity: InterPodAffinityState? = nil) -> Failure? {
        if !nodeUnschedulable(pod, node) { return Failure(reasons: [unschedulableReason], unresolvable: true) }
        if !pod.nodeName.isEmpty && pod.nodeName != node.name { return Failure(reasons: [nodeNameReason], unresolvable: true) }
        if let taint = untoleratedTaint(pod.tolerations, node.spec.taints) {
            return Failure(reasons: ["node(s) had untolerated taint {\(taint.key): \(taint.value ?? "")}"], unresolvable: true)
        }
        if !matchesNodeSelectorAndAffinity(pod, node.spec) { return Failure(reasons: [affinityReason], unresolvable: true) }
        let reasons = resourcesFit(pod, node)
        if !reasons.isEmpty { return Failure(reasons: reasons, unresolvable: false) }
        if let failure = spread?.failure(on: node.spec) { return failure }
        return affinity?.failure(on: node.spec)
    }

    /// NodeUnschedulable: a cordoned node takes only pods tolerating `node.kubernetes.io/unschedulable:NoSchedule`.
    public static func nodeUnschedulable(_ pod: PodInfo, _ node: NodeInfo) -> Bool {
        guard node.spec.unschedulable else { return true }
        let taint = core.v1.Taint(effect: "NoSchedule", key: "node.kubernetes.io/unschedulable")
        return pod.tolerations.contains { tolerates($0, taint) }
    }

    /// NodeResourcesFit: pod count first, then CPU and memory, each reason once.
    public static func resourcesFit(_ pod: PodInfo, _ node: NodeInfo) -> [String] {
        var reasons: [String] = []
        if node.podCount + 1 > node.spec.allowedPods { reasons.append(tooManyPods) }
        let free = node.spec.allocatable - node.requested
        if pod.requests.milliCPU > 0 && pod.requests.milliCPU > free.milliCPU { reasons.append(insufficientCPU) }
        if pod.requests.memory > 0 && pod.requests.memory > free.memory { reasons.append(insufficientMemory) }
        return reasons
    }

    /// TaintToleration: the first NoSchedule or NoExecute taint no toleration covers.
    public static func untoleratedTaint(_ tolerations: [core.v1.Toleration], _ taints: [core.v1.Taint]) -> core.v1.Taint? {
        for taint in taints where taint.effect == "NoSchedule" || taint.effect == "NoExecute" {
            if !tolerations.contains(where: { tolerates($0, taint) }) { return taint }
        }
        return nil
    }

    /// Upstream's `Toleration.ToleratesTaint`.
    public static func tolerates(_ toleration: core.v1.Toleration, _ taint: core.v1.Taint) -> Bool {
        if let effect = toleration.effect, !effect.isEmpty, effect != taint.effect { return false }
        if let key = toleration.key, !key.isEmpty, key != taint.key { return false }
        switch toleration.operator ?? "" {
        case "Exists": return true
        case "", "Equal": return (toleration.value ?? "") == (taint.value ?? "")
        default: return false
        }
    }

    /// NodeAffinity: `nodeSelector` labels all present, and some required term matching.
    public static func matchesNodeSelectorAndAffinity(_ pod: PodInfo, _ node: NodeInfo.Spec) -> Bool {
        for (key, value) in pod.nodeSelector where node.labels[key] != value { return false }
        guard let required = pod.requiredNodeAffinity else { return true }
        return required.nodeSelectorTerms.contains { termMatches($0, node) }
    }

    /// A term matches when all its requirements do; a term with none matches nothing (upstream).
    static func termMatches(_ term: core.v1.NodeSelectorTerm, _ node: NodeInfo.Spec) -> Bool {
        let expressions = term.matchExpressions ?? []
        let fields = term.matchFields ?? []
        if expressions.isEmpty && fields.isEmpty { return false }
        for requirement in expressions where !requirementMatches(requirement, node.labels[requirement.key]) { return false }
        for requirement in fields {
            // Only metadata.name is a supported field.
            guard requirement.key == "metadata.name" else { return false }
            if !requirementMatches(requirement, node.name) { return false }
        }
        return true
    }

    static func requirementMatches(_ requirement: core.v1.NodeSelectorRequirement, _ value: String?) -> Bool {
        let values = requirement.values ?? []
        switch requirement.operator {
        case "In": return value.map(values.contains) ?? false
        case "NotIn": return value.map { !values.contains($0) } ?? true
        case "Exists": return value != nil
        case "DoesNotExist": return value == nil
        case "Gt", "Lt":
            guard let value, let have = Int64(value), values.count == 1, let want = Int64(values[0]) else { return false }
            return requirement.operator == "Gt" ? have > want : have < want
        default: return false
        }
    }
}
