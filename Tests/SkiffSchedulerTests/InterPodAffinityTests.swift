import SkiffAPI
import Testing
@testable import SkiffScheduler

@Suite struct InterPodAffinityTests {
    func term(_ labels: [String: String], topology: String, namespaces: Set<String>? = ["default"]) throws -> AffinityTerm {
        var matchLabels = JSONObject(minimumCapacity: labels.count)
        for (key, value) in labels { matchLabels[key] = .string(value) }
        let selector = try LabelSelector(object: ["matchLabels": .object(matchLabels)])
        return AffinityTerm(selector: selector, namespaces: namespaces, topologyKey: topology)
    }

    func zonedCache() -> NodeCache {
        var cache = NodeCache()
        for (name, zone) in [("a1", "a"), ("a2", "a"), ("b1", "b")] {
            cache.upsertNode(node(name, labels: ["kubernetes.io/hostname": name, "zone": zone]))
        }
        return cache
    }

    func place(_ pod: PodInfo, _ cache: inout NodeCache, _ algorithm: inout SchedulingAlgorithm) -> Result<String, FitError> {
        let result = algorithm.schedule(pod, in: cache)
        if case .success(let name) = result { cache.assume(pod, on: name) }
        return result
    }

    @Test func antiAffinityOnHostnameOnePerNodeThenUpstreamMessage() throws {
        var cache = zonedCache()
        var algorithm = SchedulingAlgorithm()
        let spread = try term(["app": "web"], topology: "kubernetes.io/hostname")
        var nodes: Set<String> = []
        for i in 0..<3 {
            let web = PodInfo(namespace: "default", name: "web-\(i)", labels: ["app": "web"], requiredAntiAffinity: [spread])
            nodes.insert(try place(web, &cache, &algorithm).get())
        }
        #expect(nodes == ["a1", "a2", "b1"])
        let fourth = PodInfo(namespace: "default", name: "web-3", labels: ["app": "web"], requiredAntiAffinity: [spread])
        guard case .failure(let error) = place(fourth, &cache, &algorithm) else {
            Issue.record("a fourth web pod found a node")
            return
        }
        #expect(error.description == "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.")
        // The same labels in another namespace are not selected by a term that names only `default`.
        let elsewhere = PodInfo(namespace: "other", name: "web-0", labels: ["app": "web"])
        #expect(InterPodAffinityState(elsewhere, in: cache)?.failure(on: node("a1", labels: ["kubernetes.io/hostname": "a1"])) == nil)
    }

    @Test func existingPodsAntiAffinityKeepsOthersOutOfItsZone() throws {
        var cache = zonedCache()
        let loner = PodInfo(namespace: "default", name: "loner", labels: ["app": "loner"],
                            requiredAntiAffinity: [try term(["app": "db"], topology: "zone")])
        cache.assume(loner, on: "a1")
        var algorithm = SchedulingAlgorithm()
        for i in 0..<3 {
            let db = PodInfo(namespace: "default", name: "db-\(i)", labels: ["app": "db"])
            #expect(try place(db, &cache, &algorithm).get() == "b1")
        }
        // Pods it does not select go anywhere; the reason names the existing pod's rule.
        let state = InterPodAffinityState(PodInfo(namespace: "default", name: "db-x", labels: ["app": "db"]), in: cache)
        #expect(state?.failure(on: node("a2", labels: ["zone": "a"]))?.reasons == [InterPodAffinityState.existingAntiAffinityReason])
        #expect(InterPodAffinityState(PodInfo(namespace: "default", name: "x"), in: cache)?.failure(on: node("a2", labels: ["zone": "a"])) == nil)
        // Once the loner goes, nothing is checked any more.
        cache.removePod(key: "default/loner")
        #expect(InterPodAffinityState(PodInfo(namespace: "default", name: "db-x", labels: ["app": "db"]), in: cache) == nil)
    }

    @Test func affinityFollowsTheSelectedPodsZoneAndTheFirstOfAGroupMayStart() throws {
        var cache = zonedCache()
        var algorithm = SchedulingAlgorithm()
        let nearCache = try term(["app": "cache"], topology: "zone")
        let client = PodInfo(namespace: "default", name: "client", labels: ["app": "client"], requiredAffinity: [nearCache])
        guard case .failure(let error) = place(client, &cache, &algorithm) else {
            Issue.record("a pod with unmet affinity was placed")
            return
        }
        #expect(error.description.hasPrefix("0/3 nodes are available: 3 node(s) didn't match pod affinity rules."))
        // A pod selected by its own term may start the group anywhere.
        let first = PodInfo(namespace: "default", name: "cache-0", labels: ["app": "cache"], requiredAffinity: [nearCache])
        let zoneOfFirst = try place(first, &cache, &algorithm).get()
        let zone = cache.node(zoneOfFirst)?.spec.labels["zone"]
        for i in 0..<4 {
            let next = PodInfo(namespace: "default", name: "client-\(i)", labels: ["app": "client"], requiredAffinity: [nearCache])
            let placed = try place(next, &cache, &algorithm).get()
            #expect(cache.node(placed)?.spec.labels["zone"] == zone)
        }
        // A node without the topology label never satisfies a term.
        cache.upsertNode(node("bare"))
        let state = InterPodAffinityState(client, in: cache)
        #expect(cache.node("bare").flatMap { state?.failure(on: $0.spec) }?.reasons == [InterPodAffinityState.affinityReason])
    }

    @Test func termsReadFromThePodModelAndBadSelectorsSelectNothing() throws {
        let json = try JSONValue(parsing: Array("""
        {"metadata":{"name":"p","namespace":"team","labels":{"app":"web"}},"spec":{"containers":[{"name":"c"}],
          "affinity":{
            "podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[
              {"labelSelector":{"matchLabels":{"app":"web"}},"topologyKey":"kubernetes.io/hostname"},
              {"labelSelector":{"matchExpressions":[{"key":"app","operator":"Bogus"}]},"topologyKey":"zone",
               "namespaceSelector":{}}]},
            "podAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[
              {"labelSelector":{"matchLabels":{"tier":"cache"}},"topologyKey":"zone","namespaces":["infra"]}]}}}}
        """.utf8))
        let info = PodInfo(try core.v1.Pod(json: json))
        #expect(info.labels == ["app": "web"])
        #expect(info.requiredAntiAffinity.count == 2)
        #expect(info.requiredAntiAffinity.first?.namespaces == ["team"])
        #expect(info.requiredAntiAffinity.first?.matches(info) == true)
        #expect(info.requiredAntiAffinity.last?.namespaces == nil)
        #expect(info.requiredAntiAffinity.last?.matches(info) == false)
        #expect(info.requiredAffinity.first?.namespaces == ["infra"])
        #expect(info.requiredAffinity.first?.matches(PodInfo(namespace: "team", name: "c", labels: ["tier": "cache"])) == false)
        #expect(info.requiredAffinity.first?.matches(PodInfo(namespace: "infra", name: "c", labels: ["tier": "cache"])) == true)
    }

    @Test func aBoundPodRequeuesOnlyPodsWaitingForPods() throws {
        var queue = SchedulingQueue()
        let start = ContinuousClock.now
        let waiting = PodInfo(namespace: "default", name: "client", requiredAffinity: [try term(["app": "cache"], topology: "zone")])
        queue.addOrUpdate(waiting, now: start)
        queue.addOrUpdate(pod("plain"), now: start)
        for _ in 0..<2 {
            guard let popped = queue.pop() else { break }
            queue.failed(key: popped.key, unschedulable: true, cycle: queue.schedulingCycle, now: start)
        }
        queue.moveWaitingForPods(now: start + .seconds(2))
        #expect(queue.state(of: "default/client") == .active)
        #expect(queue.state(of: "default/plain") == .unschedulable)

        var cache = NodeCache()
        cache.upsertNode(node("n"))
        let cachePod = PodInfo(namespace: "default", name: "cache", nodeName: "n", labels: ["app": "cache"])
        cache.assume(cachePod, on: "n")
        let confirmed = cache.addOrUpdatePod(cachePod)
        let repeated = cache.addOrUpdatePod(cachePod)
        var relabelled = cachePod
        relabelled.labels = ["app": "other"]
        let changed = cache.addOrUpdatePod(relabelled)
        #expect(confirmed && !repeated && changed)
        #expect(cache.placements["default/cache"]?.pod.labels == ["app": "other"])
    }
}
