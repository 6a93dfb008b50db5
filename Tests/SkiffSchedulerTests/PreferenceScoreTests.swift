import SkiffAPI
import Testing
@testable import SkiffScheduler

/// Soft constraints: preferred node affinity, PreferNoSchedule taints and preferred pod (anti-)affinity
/// steer placement without ever making a node infeasible.
@Suite struct PreferenceScoreTests {
    func selector(_ labels: [String: String]) throws -> LabelSelector {
        var matchLabels = JSONObject(minimumCapacity: labels.count)
        for (key, value) in labels { matchLabels[key] = .string(value) }
        return try LabelSelector(object: ["matchLabels": .object(matchLabels)])
    }

    func cache(_ specs: [NodeInfo.Spec]) -> NodeCache {
        var cache = NodeCache()
        for spec in specs { cache.upsertNode(spec) }
        return cache
    }

    /// Places `pod` many times from fresh algorithms (different tie-breaks) and returns the nodes chosen.
    func choices(_ pod: PodInfo, _ cache: NodeCache, runs: Int = 20) -> Set<String> {
        var chosen = Set<String>()
        for run in 0..<runs {
            var algorithm = SchedulingAlgorithm(seed: UInt64(run + 1) * 0x9E37_79B9)
            if case .success(let name) = algorithm.schedule(pod, in: cache) { chosen.insert(name) }
        }
        return chosen
    }

    @Test func preferredNodeAffinityPicksTheHeavierMatch() {
        let nodes = cache([node("ssd", labels: ["disk": "ssd"]), node("fast", labels: ["disk": "ssd", "gen": "5"]),
                           node("plain")])
        var p = pod("p")
        p.preferredNodeAffinity = [
            core.v1.PreferredSchedulingTerm(preference: core.v1.NodeSelectorTerm(matchExpressions: [
                core.v1.NodeSelectorRequirement(key: "disk", operator: "In", values: ["ssd"])]), weight: 10),
            core.v1.PreferredSchedulingTerm(preference: core.v1.NodeSelectorTerm(matchExpressions: [
                core.v1.NodeSelectorRequirement(key: "gen", operator: "Gt", values: ["4"])]), weight: 50),
        ]
        #expect(choices(p, nodes) == ["fast"])
        #expect(PreferenceScores.nodeAffinity(p, node("plain")) == 0)
        #expect(PreferenceScores.nodeAffinity(p, node("fast", labels: ["disk": "ssd", "gen": "5"])) == 60)
        // A preference never filters: with only unmatched nodes the pod still lands.
        #expect(choices(p, cache([node("plain")])) == ["plain"])
    }

    @Test func preferNoScheduleTaintsAreAvoidedUnlessTolerated() {
        let taint = core.v1.Taint(effect: "PreferNoSchedule", key: "spot")
        let nodes = cache([node("spot", taints: [taint]), node("regular")])
        #expect(choices(pod("p"), nodes) == ["regular"])
        let tolerant = pod("t", tolerations: [core.v1.Toleration(effect: "PreferNoSchedule", key: "spot", operator: "Exists")])
        #expect(choices(tolerant, nodes) == ["spot", "regular"])
        #expect(choices(pod("p"), cache([node("spot", taints: [taint])])) == ["spot"])
    }

    @Test func preferredPodAffinityAndAntiAffinityWeighTopologyDomains() throws {
        var nodes = cache([node("a1", labels: ["zone": "a"]), node("a2", labels: ["zone": "a"]), node("b1", labels: ["zone": "b"])])
        nodes.assume(PodInfo(namespace: "default", name: "db", labels: ["app": "db"]), on: "b1")
        var near = pod("near")
        near.preferredAffinity = [WeightedAffinityTerm(
            term: AffinityTerm(selector: try selector(["app": "db"]), namespaces: ["default"], topologyKey: "zone"), weight: 100)]
        #expect(choices(near, nodes) == ["b1"])
        var away = pod("away")
        away.preferredAntiAffinity = [WeightedAffinityTerm(
            term: AffinityTerm(selector: try selector(["app": "db"]), namespaces: ["default"], topologyKey: "zone"), weight: 100)]
        #expect(choices(away, nodes) == ["a1", "a2"])
    }

    @Test func aPlacedPodsPreferredTermsAttractThePodsTheySelect() throws {
        var nodes = cache([node("a1", labels: ["zone": "a"]), node("b1", labels: ["zone": "b"])])
        var cacheClient = PodInfo(namespace: "default", name: "client", labels: ["app": "client"])
        cacheClient.preferredAffinity = [WeightedAffinityTerm(
            term: AffinityTerm(selector: try selector(["app": "cache"]), namespaces: ["default"], topologyKey: "zone"), weight: 80)]
        nodes.assume(cacheClient, on: "a1")
        let incoming = PodInfo(namespace: "default", name: "cache", labels: ["app": "cache"])
        #expect(choices(incoming, nodes) == ["a1"], "symmetry: the client's preference pulls the cache pod to its zone")
        nodes.removePod(key: "default/client")
        #expect(nodes.affinityPods.isEmpty)
        #expect(choices(incoming, nodes) == ["a1", "b1"])
    }

    @Test func preferredTermsAreReadFromThePodModel() throws {
        let json = try JSONValue(parsing: Array("""
        {"metadata":{"name":"p","namespace":"team"},"spec":{"containers":[{"name":"c"}],"affinity":{
          "nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[
            {"weight":20,"preference":{"matchExpressions":[{"key":"disk","operator":"In","values":["ssd"]}]}}]},
          "podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[
            {"weight":100,"podAffinityTerm":{"labelSelector":{"matchLabels":{"app":"web"}},"topologyKey":"kubernetes.io/hostname"}}]}}}}
        """.utf8))
        let info = PodInfo(try core.v1.Pod(json: json))
        #expect(info.preferredNodeAffinity.first?.weight == 20)
        #expect(info.preferredAntiAffinity.first?.weight == 100)
        #expect(info.preferredAntiAffinity.first?.term.namespaces == ["team"])
        #expect(info.hasAffinityForOthers)
    }

    @Test func normalisationMatchesUpstream() {
        var scores: [Int64] = [0, 5, 10]
        PreferenceScores.normalise(&scores, reverse: false)
        #expect(scores == [0, 50, 100])
        var taints: [Int64] = [0, 1, 2]
        PreferenceScores.normalise(&taints, reverse: true)
        #expect(taints == [100, 50, 0])
        var none: [Int64] = [0, 0]
        PreferenceScores.normalise(&none, reverse: true)
        #expect(none == [100, 100])
        var mixed: [Int64] = [-100, 0, 100]
        PreferenceScores.normaliseMinMax(&mixed)
        #expect(mixed == [0, 50, 100])
    }
}
