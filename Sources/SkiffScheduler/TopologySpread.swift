public import SkiffAPI

/// A `topologySpreadConstraints` entry with `whenUnsatisfiable: DoNotSchedule`, read once (the filter's input;
/// `ScheduleAnyway` constraints only influence scoring, which the controller spreading score covers).
public struct SpreadConstraint: Sendable, Equatable {
    public var maxSkew: Int
    public var topologyKey: String
    public var selector: LabelSelector
    /// From `matchLabelKeys`: the pod's own values of those keys, which selected pods must share.
    public var sameLabels: [String: String]
    public var minDomains: Int
    /// `nodeAffinityPolicy: Honor` (the default): only nodes the pod's node selector and affinity allow count.
    public var honorsNodeAffinity: Bool
    /// `nodeTaintsPolicy: Honor` (default Ignore): only nodes whose taints the pod tolerates count.
    public var honorsTaints: Bool

    public init(maxSkew: Int, topologyKey: String, selector: LabelSelector, sameLabels: [String: String] = [:],
                minDomains: Int = 1, honorsNodeAffinity: Bool = true, honorsTaints: Bool = false) {
        self.maxSkew = maxSkew
        self.topologyKey = topologyKey
        self.selector = selector
        self.sameLabels = sameLabels
        self.minDomains = minDomains
        self.honorsNodeAffinity = honorsNodeAffinity
        self.honorsTaints = honorsTaints
    }

    /// Nil for a `ScheduleAnyway` constraint. `matchLabelKeys` add the pod's own values to the selector, as
    /// upstream merges them; a nil or invalid selector selects nothing.
    init?(_ constraint: core.v1.TopologySpreadConstraint, podLabels: [String: String]) {
        guard constraint.whenUnsatisfiable == "DoNotSchedule" else { return nil }
        let selector = (try? LabelSelector(object: constraint.labelSelector?.json)) ?? .nothing
        var sameLabels: [String: String] = [:]
        for key in constraint.matchLabelKeys ?? [] { sameLabels[key] = podLabels[key] }
        self.init(maxSkew: Int(constraint.maxSkew), topologyKey: constraint.topologyKey, selector: selector, sameLabels: sameLabels,
                  minDomains: Int(constraint.minDomains ?? 1),
                  honorsNodeAffinity: (constraint.nodeAffinityPolicy ?? "Honor") == "Honor",
                  honorsTaints: (constraint.nodeTaintsPolicy ?? "Ignore") == "Honor")
    }

    /// Whether a pod with `labels` counts toward this constraint.
    public func selects(_ labels: [String: String]) -> Bool {
        selector.matches(labels) && sameLabels.allSatisfy { labels[$0.key] == $0.value }
    }

    func includes(_ node: NodeInfo.Spec, for pod: PodInfo) -> Bool {
        if honorsNodeAffinity && !Filters.matchesNodeSelectorAndAffinity(pod, node) { return false }
        if honorsTaints && Filters.untoleratedTaint(pod.tolerations, node.taints) != nil { return false }
        return true
    }
}

/// The PodTopologySpread filter: matching pods counted per topology domain once per pod (upstream's
/// PreFilter), then each node checked for `count + self - global minimum <= maxSkew`.
public struct TopologySpreadState: Sendable {
    public static let constraintsReason = "node(s) didn't match pod topology spread constraints"
    public static let missingLabelReason = "node(s) didn't match pod topology spread constraints (missing required label)"

    let constraints: [SpreadConstraint]
    /// Per constraint: matching pods per domain value, with every eligible domain present (0 when empty).
    var counts: [[String: Int]]
    /// Per constraint: the global minimum the skew is measured from (0 while too few domains exist).
    var minimums: [Int]
    let selfMatches: [Bool]

    /// Nil when the pod has no `DoNotSchedule` constraint.
    public init?(_ pod: PodInfo, in cache: NodeCache) {
        guard !pod.spreadConstraints.isEmpty else { return nil }
        constraints = pod.spreadConstraints
        selfMatches = constraints.map { $0.selects(pod.labels) }
        counts = Array(repeating: [:], count: constraints.count)
        // Each node's domain per constraint (nil: the node does not count), flat and by node index, so the
        // pass over all pods below hashes as little as possible.
        let nodes = cache.nodes
        let width = constraints.count
        var domains = [String?](repeating: nil, count: nodes.count * width)
        for i in nodes.indices where nodes[i].exists {
            let labels = nodes[i].spec.labels
            // Upstream counts only on nodes carrying every constraint's topology label.
            guard constraints.allSatisfy({ labels[$0.topologyKey] != nil }) else { continue }
            for (c, constraint) in constraints.enumerated() where constraint.includes(nodes[i].spec, for: pod) {
                guard let value = labels[constraint.topologyKey] else { continue }
                domains[i * width + c] = value
                if counts[c][value] == nil { counts[c][value] = 0 }
            }
        }
        for placement in cache.placements.values {
            // Terminating pods and other namespaces do not count (upstream's countPodsMatchSelector).
            guard placement.pod.namespace == pod.namespace, !placement.pod.isDeleting, placement.pod.name != pod.name,
                  let i = cache.index[placement.node] else { continue }
            for c in 0..<width {
                if let value = domains[i * width + c], constraints[c].selects(placement.pod.labels) { counts[c][value, default: 0] += 1 }
            }
        }
        minimums = zip(constraints, counts).map { constraint, domains in
            domains.count < constraint.minDomains ? 0 : (domains.values.min() ?? 0)
        }
    }

    /// The reason `node` fails, or nil.
    public func failure(on node: NodeInfo.Spec) -> Filters.Failure? {
        for (i, constraint) in constraints.enumerated() {
            guard let value = node.labels[constraint.topologyKey] else {
                return Filters.Failure(reasons: [Self.missingLabelReason], unresolvable: true)
            }
            let skew = (counts[i][value] ?? 0) + (selfMatches[i] ? 1 : 0) - minimums[i]
            if skew > constraint.maxSkew { return Filters.Failure(reasons: [Self.constraintsReason], unresolvable: false) }
        }
        return nil
    }
}
