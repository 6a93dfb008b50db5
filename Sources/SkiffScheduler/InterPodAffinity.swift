public import SkiffAPI

/// One required pod (anti-)affinity term, read once: which pods it selects and the topology it groups nodes by.
public struct AffinityTerm: Sendable, Equatable {
    public var selector: LabelSelector
    /// The namespaces of the pods it selects; nil selects every namespace (an empty `namespaceSelector`).
    public var namespaces: Set<String>?
    public var topologyKey: String

    public init(selector: LabelSelector, namespaces: Set<String>?, topologyKey: String) {
        self.selector = selector
        self.namespaces = namespaces
        self.topologyKey = topologyKey
    }

    /// Upstream's `newAffinityTerm`: no namespaces and no namespace selector mean the owning pod's namespace.
    /// A non-empty `namespaceSelector` needs namespace labels the scheduler does not watch, so it adds nothing.
    init(_ term: core.v1.PodAffinityTerm, ownerNamespace: String) {
        // An invalid selector selects nothing, as upstream's conversion error leaves the term unmatched.
        selector = (try? LabelSelector(object: term.labelSelector?.json)) ?? .nothing
        topologyKey = term.topologyKey
        let listed = Set(term.namespaces ?? [])
        if let namespaceSelector = term.namespaceSelector {
            let selectsAll = (try? LabelSelector(object: namespaceSelector.json))?.isEverything ?? false
            namespaces = selectsAll ? nil : listed
        } else {
            namespaces = listed.isEmpty ? [ownerNamespace] : listed
        }
    }

    /// Upstream's `AffinityTerm.Matches`.
    public func matches(_ pod: PodInfo) -> Bool {
        if let namespaces, !namespaces.contains(pod.namespace) { return false }
        return selector.matches(pod.labels)
    }
}

/// The InterPodAffinity filter: counts per topology pair computed once per pod (upstream's PreFilter), then
/// checked per node. Built only when the pod has required terms or a placed pod has anti-affinity.
public struct InterPodAffinityState: Sendable {
    struct Pair: Hashable {
        var key: String
        var value: String
    }

    public static let affinityReason = "node(s) didn't match pod affinity rules"
    public static let antiAffinityReason = "node(s) didn't match pod anti-affinity rules"
    public static let existingAntiAffinityReason = "node(s) didn't satisfy existing pods anti-affinity rules"

    let pod: PodInfo
    /// Pods matching all of the pod's affinity terms, per topology pair of their node.
    var affinityCounts: [Pair: Int] = [:]
    /// Pods matching any of the pod's anti-affinity terms, per topology pair.
    var antiAffinityCounts: [Pair: Int] = [:]
    /// Topology pairs where a placed pod's anti-affinity term selects this pod.
    var existingAntiAffinityCounts: [Pair: Int] = [:]

    /// Nil when no filter would fail: the pod has no terms and no placed pod has anti-affinity.
    public init?(_ pod: PodInfo, in cache: NodeCache) {
        let hasTerms = !pod.requiredAffinity.isEmpty || !pod.requiredAntiAffinity.isEmpty
        guard hasTerms || !cache.antiAffinityPods.isEmpty else { return nil }
        self.pod = pod
        func count(_ counts: inout [Pair: Int], _ key: String, on node: String) {
            guard let i = cache.index[node], let value = cache.nodes[i].spec.labels[key] else { return }
            counts[Pair(key: key, value: value), default: 0] += 1
        }
        for key in cache.antiAffinityPods {
            guard let placement = cache.placements[key] else { continue }
            for term in placement.pod.requiredAntiAffinity where term.matches(pod) {
                count(&existingAntiAffinityCounts, term.topologyKey, on: placement.node)
            }
        }
        guard hasTerms else { return }
        for placement in cache.placements.values where placement.pod.name != pod.name || placement.pod.namespace != pod.namespace {
            let other = placement.pod
            if !pod.requiredAffinity.isEmpty && pod.requiredAffinity.allSatisfy({ $0.matches(other) }) {
                for term in pod.requiredAffinity { count(&affinityCounts, term.topologyKey, on: placement.node) }
            }
            for term in pod.requiredAntiAffinity where term.matches(other) {
                count(&antiAffinityCounts, term.topologyKey, on: placement.node)
            }
        }
    }

    /// The reason `node` fails, checked in upstream's order, or nil.
    public func failure(on node: NodeInfo.Spec) -> Filters.Failure? {
        if !satisfiesAffinity(node) { return Filters.Failure(reasons: [Self.affinityReason], unresolvable: true) }
        if !satisfiesAntiAffinity(node) { return Filters.Failure(reasons: [Self.antiAffinityReason], unresolvable: false) }
        if !satisfiesExistingAntiAffinity(node) {
            return Filters.Failure(reasons: [Self.existingAntiAffinityReason], unresolvable: false)
        }
        return nil
    }

    /// Every term's topology present on the node with a matching pod there; or, when no pod anywhere
    /// matches, the pod matching its own terms (the first of a group that wants to be together).
    func satisfiesAffinity(_ node: NodeInfo.Spec) -> Bool {
        var podsExist = true
        for term in pod.requiredAffinity {
            guard let value = node.labels[term.topologyKey] else { return false }
            if affinityCounts[Pair(key: term.topologyKey, value: value), default: 0] <= 0 { podsExist = false }
        }
        if podsExist { return true }
        return affinityCounts.isEmpty && pod.requiredAffinity.allSatisfy { $0.matches(pod) }
    }

    func satisfiesAntiAffinity(_ node: NodeInfo.Spec) -> Bool {
        guard !antiAffinityCounts.isEmpty else { return true }
        for term in pod.requiredAntiAffinity {
            if let value = node.labels[term.topologyKey], antiAffinityCounts[Pair(key: term.topologyKey, value: value), default: 0] > 0 {
                return false
            }
        }
        return true
    }

    func satisfiesExistingAntiAffinity(_ node: NodeInfo.Spec) -> Bool {
        guard !existingAntiAffinityCounts.isEmpty else { return true }
        for (key, value) in node.labels where existingAntiAffinityCounts[Pair(key: key, value: value), default: 0] > 0 {
            return false
        }
        return true
    }
}
