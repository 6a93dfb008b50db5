public import SkiffAPI

/// A preferred pod (anti-)affinity term with its weight (1–100).
public struct WeightedAffinityTerm: Sendable, Equatable {
    public var term: AffinityTerm
    public var weight: Int64

    public init(term: AffinityTerm, weight: Int64) {
        self.term = term
        self.weight = weight
    }

    init(_ weighted: core.v1.WeightedPodAffinityTerm, ownerNamespace: String) {
        term = AffinityTerm(weighted.podAffinityTerm, ownerNamespace: ownerNamespace)
        weight = Int64(weighted.weight)
    }
}

/// The score plugins for soft constraints, with upstream's normalisation: NodeAffinity (preferred terms,
/// weight 2), TaintToleration (`PreferNoSchedule` taints, weight 3) and InterPodAffinity (preferred terms
/// and the symmetry of placed pods' terms, weight 2). Each returns raw scores; `normalise` maps them to
/// 0...100 over the feasible nodes, as the plugins' NormalizeScore does.
public enum PreferenceScores {
    static let nodeAffinityWeight: Int64 = 2
    static let taintTolerationWeight: Int64 = 3
    static let interPodAffinityWeight: Int64 = 2
    /// Upstream's `hardPodAffinityWeight`: a placed pod's required affinity counts this much for pods it selects.
    static let hardPodAffinityWeight: Int64 = 1

    /// NodeAffinity's Score: the summed weights of the preferred terms the node matches.
    public static func nodeAffinity(_ pod: PodInfo, _ node: NodeInfo.Spec) -> Int64 {
        var score: Int64 = 0
        for preferred in pod.preferredNodeAffinity where preferred.weight != 0 {
            if Filters.termMatches(preferred.preference, node) { score += Int64(preferred.weight) }
        }
        return score
    }

    /// The tolerations TaintToleration's Score considers (no effect, or `PreferNoSchedule`).
    public static func preferNoScheduleTolerations(_ pod: PodInfo) -> [core.v1.Toleration] {
        pod.tolerations.filter { ($0.effect ?? "").isEmpty || $0.effect == "PreferNoSchedule" }
    }

    /// TaintToleration's Score: the `PreferNoSchedule` taints the pod does not tolerate (fewer is better).
    public static func intolerableTaints(_ tolerations: [core.v1.Toleration], _ node: NodeInfo.Spec) -> Int64 {
        var count: Int64 = 0
        for taint in node.taints where taint.effect == "PreferNoSchedule" {
            if !tolerations.contains(where: { Filters.tolerates($0, taint) }) { count += 1 }
        }
        return count
    }

    /// Upstream's `DefaultNormalizeScore`: scaled so the best node gets 100 (reversed: the fewest gets 100).
    public static func normalise(_ scores: inout [Int64], reverse: Bool) {
        let highest = scores.max() ?? 0
        guard highest > 0 else {
            if reverse { for i in scores.indices { scores[i] = 100 } }
            return
        }
        for i in scores.indices {
            let scaled = scores[i] * 100 / highest
            scores[i] = reverse ? 100 - scaled : scaled
        }
    }

    /// InterPodAffinity's NormalizeScore: min–max to 0...100; all equal gives 0.
    public static func normaliseMinMax(_ scores: inout [Int64]) {
        guard let low = scores.min(), let high = scores.max(), high > low else {
            for i in scores.indices { scores[i] = 0 }
            return
        }
        for i in scores.indices { scores[i] = (scores[i] - low) * 100 / (high - low) }
    }
}

/// InterPodAffinity's PreScore: a weight per topology pair from the pod's preferred terms against placed
/// pods, and from placed pods' terms against the pod (symmetry). Nil when nothing would score.
public struct PreferredAffinityState: Sendable {
    var weights: [InterPodAffinityState.Pair: Int64] = [:]

    public init?(_ pod: PodInfo, in cache: NodeCache) {
        let own = !pod.preferredAffinity.isEmpty || !pod.preferredAntiAffinity.isEmpty
        guard own || !cache.affinityPods.isEmpty else { return nil }
        func add(_ weight: Int64, _ key: String, on node: String) {
            guard let i = cache.index[node], let value = cache.nodes[i].spec.labels[key] else { return }
            weights[InterPodAffinityState.Pair(key: key, value: value), default: 0] += weight
        }
        func existing(_ placement: NodeCache.Placement) {
            let other = placement.pod
            for term in other.preferredAffinity where term.term.matches(pod) {
                add(term.weight, term.term.topologyKey, on: placement.node)
            }
            for term in other.preferredAntiAffinity where term.term.matches(pod) {
                add(-term.weight, term.term.topologyKey, on: placement.node)
            }
            for term in other.requiredAffinity where term.matches(pod) {
                add(PreferenceScores.hardPodAffinityWeight, term.topologyKey, on: placement.node)
            }
        }
        if own {
            for placement in cache.placements.values where placement.pod.key != pod.key {
                let other = placement.pod
                for term in pod.preferredAffinity where term.term.matches(other) {
                    add(term.weight, term.term.topologyKey, on: placement.node)
                }
                for term in pod.preferredAntiAffinity where term.term.matches(other) {
                    add(-term.weight, term.term.topologyKey, on: placement.node)
                }
                if cache.affinityPods.contains(other.key) { existing(placement) }
            }
        } else {
            for key in cache.affinityPods where key != pod.key {
                if let placement = cache.placements[key] { existing(placement) }
            }
        }
        if weights.isEmpty { return nil }
    }

    /// The node's raw score: the weights of every topology pair its labels carry.
    public func score(_ node: NodeInfo.Spec) -> Int64 {
        var total: Int64 = 0
        for (key, value) in node.labels {
            if let weight = weights[InterPodAffinityState.Pair(key: key, value: value)] { total += weight }
        }
        return total
    }
}
