/// Why a pod fits no node: per-node failures, summarised in upstream's message format.
public struct FitError: Error, Sendable, Equatable, CustomStringConvertible {
    public var nodeCount: Int
    /// Failing nodes by name.
    public var failures: [String: Filters.Failure]

    /// `0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu.
    /// preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims
    /// found for incoming pod.` — counts per reason, sorted as strings, as upstream's `FitError.Error()` does.
    public var description: String {
        if nodeCount == 0 { return "no nodes available to schedule pods" }
        var reasons: [String: Int] = [:]
        var unresolvable = 0
        for failure in failures.values {
            for reason in failure.reasons { reasons[reason, default: 0] += 1 }
            if failure.unresolvable { unresolvable += 1 }
        }
        var message = "0/\(nodeCount) nodes are available"
        let histogram = reasons.map { "\($0.value) \($0.key)" }.sorted()
        if !histogram.isEmpty { message += ": " + histogram.joined(separator: ", ") + "." }
        var preemption: [String] = []
        if unresolvable > 0 { preemption.append("\(unresolvable) Preemption is not helpful for scheduling") }
        let rest = failures.count - unresolvable
        if rest > 0 { preemption.append("\(rest) No preemption victims found for incoming pod") }
        if !preemption.isEmpty {
            message += " preemption: 0/\(nodeCount) nodes are available: " + preemption.sorted().joined(separator: ", ") + "."
        }
        return message
    }
}

/// Chooses a node for a pod: filter a sample of nodes, score the feasible ones, take the best (upstream's
/// `schedulePod`). Pure state over a `NodeCache`, so the service and the benchmark share it.
public struct SchedulingAlgorithm: Sendable {
    /// Where the next search starts, so consecutive pods look at different nodes first.
    var nextStartIndex = 0
    var random: UInt64

    public init(seed: UInt64 = 0x9E37_79B9_7F4A_7C15) { random = seed | 1 }

    /// Upstream's `numFeasibleNodesToFind` with the default adaptive percentage: all nodes up to 100,
    /// then 50% minus 1% per 125 nodes, at least 5% and at least 100 nodes.
    public static func feasibleNodesToFind(_ nodeCount: Int) -> Int {
        if nodeCount < 100 { return nodeCount }
        let percentage = max(5, 50 - nodeCount / 125)
        return max(100, nodeCount * percentage / 100)
    }

    /// The chosen node's name, or why none fits.
    public mutating func schedule(_ pod: PodInfo, in cache: NodeCache) -> Result<String, FitError> {
        let nodes = cache.nodes
        let total = nodes.count
        let existing = cache.nodeCount
        guard existing > 0 else { return .failure(FitError(nodeCount: 0, failures: [:])) }
        let wanted = Self.feasibleNodesToFind(existing)
        var feasible: [Int] = []
        feasible.reserveCapacity(wanted)
        var failures: [String: Filters.Failure] = [:]
        let spread = TopologySpreadState(pod, in: cache)
        let affinity = InterPodAffinityState(pod, in: cache)
        let start = nextStartIndex % total
        var offset = 0
        while offset < total && feasible.count < wanted {
            let i = (start + offset) % total
            offset += 1
            let node = nodes[i]
            guard node.exists else { continue }
            if let failure = Filters.run(pod, on: node, spread: spread, affinity: affinity) {
                failures[node.name] = failure
            } else {
                feasible.append(i)
            }
        }
        nextStartIndex = (start + offset) % max(total, 1)
        guard !feasible.isEmpty else { return .failure(FitError(nodeCount: existing, failures: failures)) }
        if feasible.count == 1 { return .success(nodes[feasible[0]].name) }

        var maxOwn = 0
        if let owner = pod.controllerUID {
            for i in feasible { maxOwn = max(maxOwn, nodes[i].controllerPods[owner] ?? 0) }
        }
        let preferences = softScores(pod, feasible: feasible, cache: cache)
        var best = -1
        var bestScore = Int64.min
        var ties = 0
        for (position, i) in feasible.enumerated() {
            let node = nodes[i]
            let own = pod.controllerUID.flatMap { node.controllerPods[$0] } ?? 0
            let score = Scores.leastAllocated(pod, node) * Scores.leastAllocatedWeight
                + Scores.balancedAllocation(pod, node) * Scores.balancedWeight
                + Scores.spreading(ownPods: own, maxOwnPods: maxOwn) * Scores.spreadingWeight
                + (preferences.isEmpty ? 0 : preferences[position])
            if score > bestScore {
                bestScore = score
                best = i
                ties = 1
            } else if score == bestScore {
                // Reservoir sampling among equal scores, as upstream's selectHost does.
                ties += 1
                if nextRandom() % UInt64(ties) == 0 { best = i }
            }
        }
        return .success(nodes[best].name)
    }

    /// The weighted, normalised soft-constraint scores per feasible node (empty when none applies, the common
    /// case, so pods without preferences pay nothing).
    func softScores(_ pod: PodInfo, feasible: [Int], cache: NodeCache) -> [Int64] {
        let nodes = cache.nodes
        var total: [Int64] = []
        func add(_ scores: [Int64], weight: Int64) {
            if total.isEmpty { total = Array(repeating: 0, count: scores.count) }
            for k in scores.indices { total[k] += scores[k] * weight }
        }
        if !pod.preferredNodeAffinity.isEmpty {
            var scores = feasible.map { PreferenceScores.nodeAffinity(pod, nodes[$0].spec) }
            PreferenceScores.normalise(&scores, reverse: false)
            add(scores, weight: PreferenceScores.nodeAffinityWeight)
        }
        if feasible.contains(where: { nodes[$0].spec.taints.contains { $0.effect == "PreferNoSchedule" } }) {
            let tolerations = PreferenceScores.preferNoScheduleTolerations(pod)
            var taints = feasible.map { PreferenceScores.intolerableTaints(tolerations, nodes[$0].spec) }
            PreferenceScores.normalise(&taints, reverse: true)
            add(taints, weight: PreferenceScores.taintTolerationWeight)
        }
        if let affinity = PreferredAffinityState(pod, in: cache) {
            var scores = feasible.map { affinity.score(nodes[$0].spec) }
            PreferenceScores.normaliseMinMax(&scores)
            add(scores, weight: PreferenceScores.interPodAffinityWeight)
        }
        return total
    }

    mutating func nextRandom() -> UInt64 {
        random ^= random << 13
        random ^= random >> 7
        random ^= random << 17
        return random
    }
}
