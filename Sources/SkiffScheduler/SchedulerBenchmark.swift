/// In-memory scheduling throughput, for `skiff bench scheduler`: no HTTP, only the queue, filters, scores
/// and assume, as upstream's `scheduler_perf` measures the scheduling cycle.
public enum SchedulerBenchmark {
    /// What one run measured.
    public struct Result: Sendable {
        public var pods: Int
        public var nodes: Int
        public var scheduled: Int
        public var seconds: Double
        public var podsPerSecond: Double { seconds > 0 ? Double(scheduled) / seconds : 0 }
    }

    /// Schedules `pods` pods (100m CPU, 128Mi; one ReplicaSet per 100 pods) on `nodes` nodes of 32 CPU,
    /// 256Gi and 110 pods each.
    public static func run(pods: Int = 10_000, nodes: Int = 5_000) -> Result {
        var cache = NodeCache()
        for n in 0..<nodes {
            cache.upsertNode(NodeInfo.Spec(name: "node-\(n)", labels: ["kubernetes.io/hostname": "node-\(n)"],
                                           allocatable: Resources(milliCPU: 32_000, memory: 256 << 30), allowedPods: 110))
        }
        var queue = SchedulingQueue()
        let now = ContinuousClock.now
        for p in 0..<pods {
            let requests = Resources(milliCPU: 100, memory: 128 << 20)
            let pod = PodInfo(namespace: "bench", name: "pod-\(p)", uid: "uid-\(p)", priority: 0, created: Double(p),
                              requests: requests, controllerUID: "rs-\(p / 100)")
            queue.addOrUpdate(pod, now: now)
        }
        var algorithm = SchedulingAlgorithm()
        var scheduled = 0
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            while let pod = queue.pop() {
                if case .success(let node) = algorithm.schedule(pod, in: cache) {
                    cache.assume(pod, on: node)
                    queue.done(key: pod.key)
                    scheduled += 1
                } else {
                    queue.failed(key: pod.key, unschedulable: true, cycle: queue.schedulingCycle, now: now)
                }
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Result(pods: pods, nodes: nodes, scheduled: scheduled, seconds: seconds)
    }
}
