import SkiffAPI
import Testing
@testable import SkiffScheduler

func node(_ name: String, cpu: Int64 = 4000, memory: Int64 = 8 << 30, pods: Int = 110, labels: [String: String] = [:],
          taints: [core.v1.Taint] = [], unschedulable: Bool = false) -> NodeInfo.Spec {
    NodeInfo.Spec(name: name, labels: labels, taints: taints, unschedulable: unschedulable,
                  allocatable: Resources(milliCPU: cpu, memory: memory), allowedPods: pods)
}

func pod(_ name: String, cpu: Int64 = 100, memory: Int64 = 0, owner: String? = nil, selector: [String: String] = [:],
         tolerations: [core.v1.Toleration] = [], priority: Int32 = 0, created: Double = 0) -> PodInfo {
    PodInfo(namespace: "default", name: name, uid: name, priority: priority, created: created,
            requests: Resources(milliCPU: cpu, memory: memory), nodeSelector: selector, tolerations: tolerations,
            controllerUID: owner)
}

@Suite struct FilterTests {
    @Test func requestsSumContainersAndTakeInitMaxAndLimits() throws {
        let json = try JSONValue(parsing: Array("""
        {"metadata":{"name":"p","namespace":"d"},"spec":{
          "containers":[{"name":"a","resources":{"requests":{"cpu":"250m","memory":"64Mi"}}},
                        {"name":"b","resources":{"limits":{"cpu":"1","memory":"1Gi"}}}],
          "initContainers":[{"name":"i","resources":{"requests":{"cpu":"2"}}}]}}
        """.utf8))
        let info = PodInfo(try core.v1.Pod(json: json))
        #expect(info.requests == Resources(milliCPU: 2000, memory: (64 << 20) + (1 << 30)))
    }

    @Test func resourcesFitReasons() {
        var cache = NodeCache()
        cache.upsertNode(node("n", cpu: 1000, memory: 1 << 30, pods: 1))
        cache.assume(pod("a", cpu: 600), on: "n")
        let info = cache.node("n")
        #expect(info.map { Filters.resourcesFit(pod("b", cpu: 600, memory: 2 << 30), $0) }
                == ["Too many pods", "Insufficient cpu", "Insufficient memory"])
        cache.forget(key: "default/a")
        #expect(cache.node("n").map { Filters.resourcesFit(pod("b", cpu: 600), $0) } == [])
    }

    @Test func taintsAndUnschedulable() {
        let taint = core.v1.Taint(effect: "NoSchedule", key: "dedicated", value: "gpu")
        let tainted = NodeInfo(spec: node("t", taints: [taint]))
        #expect(Filters.run(pod("p"), on: tainted)?.reasons == ["node(s) had untolerated taint {dedicated: gpu}"])
        let tolerating = pod("p", tolerations: [core.v1.Toleration(effect: "NoSchedule", key: "dedicated", operator: "Equal", value: "gpu")])
        #expect(Filters.run(tolerating, on: tainted) == nil)
        let preferNo = NodeInfo(spec: node("s", taints: [core.v1.Taint(effect: "PreferNoSchedule", key: "x")]))
        #expect(Filters.run(pod("p"), on: preferNo) == nil)
        let cordoned = NodeInfo(spec: node("c", unschedulable: true))
        #expect(Filters.run(pod("p"), on: cordoned)?.reasons == ["node(s) were unschedulable"])
        let tolerant = pod("p", tolerations: [core.v1.Toleration(effect: "NoSchedule", key: "node.kubernetes.io/unschedulable", operator: "Exists")])
        #expect(Filters.run(tolerant, on: cordoned) == nil)
    }

    @Test func nodeSelectorAndAffinity() {
        let labelled = node("a", labels: ["disk": "ssd", "gen": "5"])
        #expect(Filters.matchesNodeSelectorAndAffinity(pod("p", selector: ["disk": "ssd"]), labelled))
        #expect(!Filters.matchesNodeSelectorAndAffinity(pod("p", selector: ["disk": "hdd"]), labelled))
        var withAffinity = pod("p")
        withAffinity.requiredNodeAffinity = core.v1.NodeSelector(nodeSelectorTerms: [
            core.v1.NodeSelectorTerm(matchExpressions: [core.v1.NodeSelectorRequirement(key: "gen", operator: "Gt", values: ["4"])]),
        ])
        #expect(Filters.matchesNodeSelectorAndAffinity(withAffinity, labelled))
        #expect(!Filters.matchesNodeSelectorAndAffinity(withAffinity, node("b")))
        withAffinity.requiredNodeAffinity = core.v1.NodeSelector(nodeSelectorTerms: [core.v1.NodeSelectorTerm()])
        #expect(!Filters.matchesNodeSelectorAndAffinity(withAffinity, labelled))
    }

    @Test func fitErrorMessageMatchesUpstream() {
        var cache = NodeCache()
        cache.upsertNode(node("a", cpu: 1000))
        cache.upsertNode(node("b", cpu: 1000))
        cache.upsertNode(node("c", cpu: 1000, labels: ["zone": "x"]))
        var algorithm = SchedulingAlgorithm()
        let result = algorithm.schedule(pod("big", cpu: 2000, selector: ["zone": "x"]), in: cache)
        guard case .failure(let error) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.description == "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.")
        guard case .failure(let plain) = algorithm.schedule(pod("big", cpu: 2000), in: cache) else {
            Issue.record("expected a failure")
            return
        }
        #expect(plain.description == "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.")
    }
}

@Suite struct ScoreTests {
    @Test func podsOfOneOwnerSpreadAndCapacityIsNeverOvercommitted() {
        var cache = NodeCache()
        for n in ["a", "b", "c"] { cache.upsertNode(node(n, cpu: 1000)) }
        var algorithm = SchedulingAlgorithm()
        var placed: [String: Int] = [:]
        for i in 0..<6 {
            let p = pod("p\(i)", cpu: 300, owner: "rs")
            guard case .success(let name) = algorithm.schedule(p, in: cache) else {
                Issue.record("pod \(i) did not fit")
                return
            }
            cache.assume(p, on: name)
            placed[name, default: 0] += 1
        }
        #expect(placed == ["a": 2, "b": 2, "c": 2])
        // 3 x 300m more fit only once per node (900m of 1000m), then nothing.
        for i in 6..<9 {
            let p = pod("p\(i)", cpu: 300, owner: "rs")
            if case .success(let name) = algorithm.schedule(p, in: cache) { cache.assume(p, on: name) }
        }
        guard case .failure = algorithm.schedule(pod("extra", cpu: 300), in: cache) else {
            Issue.record("a full cluster took another pod")
            return
        }
        #expect(cache.nodes.allSatisfy { $0.requested.milliCPU <= $0.spec.allocatable.milliCPU })
    }

    @Test func leastAllocatedPrefersEmptierNodes() throws {
        var cache = NodeCache()
        cache.upsertNode(node("busy"))
        cache.upsertNode(node("idle"))
        cache.assume(pod("x", cpu: 3000, memory: 4 << 30), on: "busy")
        var algorithm = SchedulingAlgorithm()
        #expect(try algorithm.schedule(pod("p"), in: cache).get() == "idle")
    }

    @Test func benchmarkRuns() {
        let result = SchedulerBenchmark.run(pods: 300, nodes: 120)
        #expect(result.scheduled == 300)
    }
}
