import SkiffAPI
import Testing
@testable import SkiffScheduler

@Suite struct TopologySpreadTests {
    func web(_ name: String, maxSkew: Int = 1, minDomains: Int = 1) throws -> PodInfo {
        let constraint = SpreadConstraint(maxSkew: maxSkew, topologyKey: "zone", selector: try LabelSelector(parsing: "app=web"),
                                          minDomains: minDomains)
        return PodInfo(namespace: "default", name: name, labels: ["app": "web"], spreadConstraints: [constraint])
    }

    @Test func podsSpreadEvenlyOverZones() throws {
        var cache = NodeCache()
        for (name, zone) in [("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b")] { cache.upsertNode(node(name, labels: ["zone": zone])) }
        var algorithm = SchedulingAlgorithm()
        var perZone: [String: Int] = [:]
        for i in 0..<6 {
            let pod = try web("web-\(i)")
            let name = try algorithm.schedule(pod, in: cache).get()
            cache.assume(pod, on: name)
            perZone[cache.node(name)?.spec.labels["zone"] ?? "", default: 0] += 1
            #expect(abs(perZone["a", default: 0] - perZone["b", default: 0]) <= 1)
        }
        #expect(perZone == ["a": 3, "b": 3])
    }

    @Test func skewAndTaintReasonsInTheUpstreamMessage() throws {
        var cache = NodeCache()
        cache.upsertNode(node("a1", labels: ["zone": "a"]))
        // Tainted, but with nodeTaintsPolicy Ignore its zone still counts, with no pods: the minimum is 0.
        cache.upsertNode(node("b1", labels: ["zone": "b"], taints: [core.v1.Taint(effect: "NoSchedule", key: "dedicated", value: "x")]))
        cache.assume(try web("web-0"), on: "a1")
        var algorithm = SchedulingAlgorithm()
        guard case .failure(let error) = algorithm.schedule(try web("web-1"), in: cache) else {
            Issue.record("a pod breaking maxSkew was placed")
            return
        }
        #expect(error.description == "0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints, 1 node(s) had untolerated taint {dedicated: x}. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.")
        // A pod the selector does not pick, or a larger maxSkew, fits.
        #expect(try algorithm.schedule(try web("web-1", maxSkew: 2), in: cache).get() == "a1")
        var other = try web("other")
        other.labels = ["app": "db"]
        #expect(try algorithm.schedule(other, in: cache).get() == "a1")
    }

    @Test func missingTopologyLabelAndMinDomains() throws {
        var cache = NodeCache()
        cache.upsertNode(node("a1", labels: ["zone": "a"]))
        cache.upsertNode(node("b1", labels: ["zone": "b"]))
        cache.upsertNode(node("bare"))
        cache.assume(try web("web-0"), on: "a1")
        cache.assume(try web("web-1"), on: "b1")
        let state = TopologySpreadState(try web("web-2"), in: cache)
        #expect(cache.node("bare").flatMap { state?.failure(on: $0.spec) }?.reasons == [TopologySpreadState.missingLabelReason])
        #expect(cache.node("a1").flatMap { state?.failure(on: $0.spec) } == nil)
        // Fewer domains than minDomains: the minimum counts as 0, so one more pod per zone is too many.
        let wantsThree = TopologySpreadState(try web("web-2", minDomains: 3), in: cache)
        #expect(cache.node("a1").flatMap { wantsThree?.failure(on: $0.spec) }?.reasons == [TopologySpreadState.constraintsReason])
        #expect(TopologySpreadState(PodInfo(namespace: "default", name: "plain"), in: cache) == nil)
    }

    @Test func constraintsReadFromThePodModel() throws {
        let json = try JSONValue(parsing: Array("""
        {"metadata":{"name":"p","namespace":"d","labels":{"app":"web","pod-template-hash":"abc"}},"spec":{"containers":[{"name":"c"}],
          "topologySpreadConstraints":[
            {"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule","labelSelector":{"matchLabels":{"app":"web"}},
             "matchLabelKeys":["pod-template-hash"],"minDomains":2,"nodeTaintsPolicy":"Honor"},
            {"maxSkew":1,"topologyKey":"kubernetes.io/hostname","whenUnsatisfiable":"ScheduleAnyway","labelSelector":{}},
            {"maxSkew":2,"topologyKey":"rack","whenUnsatisfiable":"DoNotSchedule"}]}}
        """.utf8))
        let info = PodInfo(try core.v1.Pod(json: json))
        #expect(info.spreadConstraints.count == 2)
        let zone = try #require(info.spreadConstraints.first)
        #expect(zone.minDomains == 2 && zone.honorsTaints && zone.honorsNodeAffinity)
        #expect(zone.selects(["app": "web", "pod-template-hash": "abc"]))
        #expect(!zone.selects(["app": "web", "pod-template-hash": "old"]))
        // No labelSelector selects nothing, so only the pod itself adds to the skew.
        #expect(info.spreadConstraints.last?.selects(["app": "web"]) == false)
    }
}
