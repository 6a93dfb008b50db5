/// Node state for scheduling decisions (upstream's scheduler cache): every node with the pods bound to it,
/// including pods this scheduler has assumed (bound, but not yet seen bound through the watch), so two
/// decisions in a row never count the same free capacity twice.
public struct NodeCache: Sendable {
    struct Placement: Sendable {
        var pod: PodInfo
        var node: String
        var assumed: Bool
    }

    /// Nodes in a stable order, iterated from a rotating start as upstream does.
    public private(set) var nodes: [NodeInfo] = []
    var index: [String: Int] = [:]
    var placements: [String: Placement] = [:]
    /// Placed pods with required anti-affinity terms, which every other pod must be checked against.
    var antiAffinityPods: Set<String> = []
    /// Placed pods whose affinity terms (preferred, or required affinity) score nodes for the pods they select.
    var affinityPods: Set<String> = []

    public init() {}

    /// The number of nodes that exist (placeholders excluded).
    public var nodeCount: Int { nodes.count - placeholderCount }
    var placeholderCount = 0

    /// The node called `name`, if known.
    public func node(_ name: String) -> NodeInfo? { index[name].map { nodes[$0] } }

    /// Adds or updates a node; returns whether anything scheduling depends on changed.
    @discardableResult
    public mutating func upsertNode(_ spec: NodeInfo.Spec) -> Bool {
        if let i = index[spec.name] {
            let changed = nodes[i].spec != spec || !nodes[i].exists
            if !nodes[i].exists { placeholderCount -= 1 }
            nodes[i].spec = spec
            nodes[i].exists = true
            return changed
        }
        index[spec.name] = nodes.count
        nodes.append(NodeInfo(spec: spec))
        return true
    }

    /// Removes a node; pods still bound there keep a placeholder until they go.
    public mutating func removeNode(_ name: String) {
        guard let i = index[name] else { return }
        if nodes[i].podCount > 0 {
            if nodes[i].exists { placeholderCount += 1 }
            nodes[i].exists = false
        } else {
            drop(at: i)
        }
    }

    private mutating func drop(at i: Int) {
        if !nodes[i].exists { placeholderCount -= 1 }
        index[nodes[i].name] = nil
        let last = nodes.count - 1
        if i != last {
            nodes[i] = nodes[last]
            index[nodes[i].name] = i
        }
        nodes.removeLast()
    }

    /// Records a pod seen bound to a node (confirming it when it was assumed there). Returns whether this is
    /// news about the node's pods (upstream's AssignedPodAdd/Update), which can help pods with affinity to it.
    @discardableResult
    public mutating func addOrUpdatePod(_ pod: PodInfo) -> Bool {
        guard !pod.nodeName.isEmpty else { return false }
        if pod.isTerminal {
            removePod(key: pod.key)
            return false
        }
        if let existing = placements[pod.key], existing.node == pod.nodeName {
            if existing.pod != pod {
                // Labels or requests may have changed: account the pod as it is now.
                removePod(key: pod.key)
                place(pod, on: pod.nodeName, assumed: false)
            }
            placements[pod.key]?.assumed = false
            return existing.assumed || existing.pod != pod
        }
        removePod(key: pod.key)
        place(pod, on: pod.nodeName, assumed: false)
        return true
    }

    /// Counts `pod` on `node` before the binding is confirmed.
    public mutating func assume(_ pod: PodInfo, on node: String) {
        removePod(key: pod.key)
        var bound = pod
        bound.nodeName = node
        place(bound, on: node, assumed: true)
    }

    /// Undoes `assume` after a failed binding; a confirmed placement stays.
    public mutating func forget(key: String) {
        if placements[key]?.assumed == true { removePod(key: key) }
    }

    /// Whether the pod is assumed and not yet confirmed.
    public func isAssumed(key: String) -> Bool { placements[key]?.assumed == true }

    /// Forgets a pod; returns whether it was counted on a node.
    @discardableResult
    public mutating func removePod(key: String) -> Bool {
        guard let placement = placements.removeValue(forKey: key) else { return false }
        antiAffinityPods.remove(key)
        affinityPods.remove(key)
        guard let i = index[placement.node] else { return false }
        nodes[i].remove(placement.pod)
        if !nodes[i].exists && nodes[i].podCount == 0 { drop(at: i) }
        return true
    }

    private mutating func place(_ pod: PodInfo, on node: String, assumed: Bool) {
        let i: Int
        if let existing = index[node] {
            i = existing
        } else {
            i = nodes.count
            index[node] = i
            nodes.append(NodeInfo(spec: .init(name: node, allocatable: Resources(), allowedPods: 0), exists: false))
            placeholderCount += 1
        }
        nodes[i].add(pod)
        placements[pod.key] = Placement(pod: pod, node: node, assumed: assumed)
        if !pod.requiredAntiAffinity.isEmpty { antiAffinityPods.insert(pod.key) }
        if pod.hasAffinityForOthers { affinityPods.insert(pod.key) }
    }
}
