/// The score plugins, each 0...100 per node (upstream's `MaxNodeScore`), combined with upstream's default weights.
public enum Scores {
    /// NodeResourcesFit's LeastAllocated: the mean free fraction of CPU and memory after placing the pod.
    public static func leastAllocated(_ pod: PodInfo, _ node: NodeInfo) -> Int64 {
        let cpu = free(node.spec.allocatable.milliCPU, node.nonZeroRequested.milliCPU + pod.nonZeroRequests.milliCPU)
        let memory = free(node.spec.allocatable.memory, node.nonZeroRequested.memory + pod.nonZeroRequests.memory)
        return (cpu + memory) / 2
    }

    static func free(_ capacity: Int64, _ requested: Int64) -> Int64 {
        guard capacity > 0, requested <= capacity else { return 0 }
        return (capacity - requested) * 100 / capacity
    }

    /// NodeResourcesBalancedAllocation: 100 when CPU and memory are used in equal fractions, less as they diverge.
    public static func balancedAllocation(_ pod: PodInfo, _ node: NodeInfo) -> Int64 {
        func fraction(_ capacity: Int64, _ requested: Int64) -> Double {
            capacity > 0 ? min(1, Double(requested) / Double(capacity)) : 1
        }
        let cpu = fraction(node.spec.allocatable.milliCPU, node.requested.milliCPU + pod.requests.milliCPU)
        let memory = fraction(node.spec.allocatable.memory, node.requested.memory + pod.requests.memory)
        // The standard deviation of two values is half their difference.
        let deviation = abs(cpu - memory) / 2
        return Int64((1 - deviation) * 100)
    }

    /// Spreading of a controller's pods (PodTopologySpread's default hostname constraint): fewer of the same
    /// controller's pods on a node score higher, normalised over the candidate nodes.
    public static func spreading(ownPods: Int, maxOwnPods: Int) -> Int64 {
        guard maxOwnPods > 0 else { return 100 }
        return Int64((maxOwnPods - ownPods) * 100 / maxOwnPods)
    }

    /// Upstream's default weights: NodeResourcesFit 1, BalancedAllocation 1, PodTopologySpread 2.
    static let leastAllocatedWeight: Int64 = 1
    static let balancedWeight: Int64 = 1
    static let spreadingWeight: Int64 = 2
}
