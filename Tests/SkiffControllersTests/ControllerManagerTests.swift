import SkiffAPI
import SkiffClient
import SkiffControllers
import Synchronization
import Testing

/// A controller that only counts how often it runs and whether it is running now.
final class ProbeController: Controller {
    let name = "probe-controller"
    let runs = Mutex(0)
    let running = Mutex(0)

    func run(context: ControllerContext) async throws {
        runs.withLock { $0 += 1 }
        running.withLock { $0 += 1 }
        defer { running.withLock { $0 -= 1 } }
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }
}

/// A controller that fails at once the first time it runs.
final class CrashingController: Controller {
    let name = "crashing-controller"
    let runs = Mutex(0)

    struct Crash: Error {}

    func run(context: ControllerContext) async throws {
        let run = runs.withLock { runs -> Int in
            runs += 1
            return runs
        }
        if run == 1 { throw Crash() }
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }
}

@Suite(.timeLimit(.minutes(5))) struct ControllerManagerTests {
    static let leases = ResourcePath(group: "coordination.k8s.io", version: "v1", resource: "leases", namespace: "kube-system")

    static func configuration(_ identity: String, _ controllers: [any Controller], releaseOnCancel: Bool = true)
        -> ControllerManager.Configuration
    {
        .init(leaderElect: true, identity: identity, leaseDuration: .seconds(2), renewDeadline: .milliseconds(1500),
              retryPeriod: .milliseconds(200), releaseOnCancel: releaseOnCancel, controllers: controllers)
    }

    @Test func twoManagersOnlyOneLeadsAndTheStandbyTakesOver() async throws {
        try await TestCluster.with { cluster in
            let probeA = ProbeController()
            let probeB = ProbeController()
            let a = RunningManager(client: cluster.client,
                                   configuration: Self.configuration("a", [probeA, GarbageCollector(workers: 2)], releaseOnCancel: false))
            let b = RunningManager(client: cluster.client,
                                   configuration: Self.configuration("b", [probeB, GarbageCollector(workers: 2)], releaseOnCancel: false))
            try await eventually("one leads") { a.manager.isLeader || b.manager.isLeader }
            // Sampled for a while: never both.
            for _ in 0..<40 {
                #expect(!(a.manager.isLeader && b.manager.isLeader))
                #expect(probeA.running.withLock { $0 } + probeB.running.withLock { $0 } <= 1)
                try await Task.sleep(for: .milliseconds(50))
            }
            let (leader, standby, standbyProbe) = a.manager.isLeader ? (a, b, probeB) : (b, a, probeA)
            let lease = try await cluster.client.json(.GET, Self.leases.object("kube-controller-manager"))
            #expect(lease["spec"]?["holderIdentity"]?.stringValue == leader.manager.identity)
            #expect(standbyProbe.runs.withLock { $0 } == 0)

            // The leader dies without a word (no release): the standby takes over once the lease expires,
            // and its collector, built from nothing, still does the work.
            await leader.stop()
            let owner = try await cluster.createConfigMap("owner")
            try await cluster.createConfigMap("child", owners: [ownerReference(to: owner)])
            try await cluster.delete(TestCluster.configMaps.object("owner", namespace: "default"))
            try await eventually("the standby leads") { standby.manager.isLeader }
            #expect(standbyProbe.runs.withLock { $0 } == 1)
            try await eventually("the new leader collects") { try await cluster.configMap("child") == nil }
            let after = try await cluster.client.json(.GET, Self.leases.object("kube-controller-manager"))
            #expect(after["spec"]?["holderIdentity"]?.stringValue == standby.manager.identity)
            #expect((after["spec"]?["leaseTransitions"]?.intValue ?? 0) >= 1)
            await standby.stop()
        }
    }

    @Test func aLeaderThatShutsDownReleasesTheLease() async throws {
        try await TestCluster.with { cluster in
            let first = RunningManager(client: cluster.client, configuration: Self.configuration("first", [ProbeController()]))
            try await eventually("the first leads") { first.manager.isLeader }
            await first.stop()
            let lease = try await cluster.client.json(.GET, Self.leases.object("kube-controller-manager"))
            #expect(lease["spec"]?["holderIdentity"] == nil)
            #expect(!first.manager.isLeader)
            let second = RunningManager(client: cluster.client, configuration: Self.configuration("second", [ProbeController()]))
            try await eventually("the second leads") { second.manager.isLeader }
            await second.stop()
        }
    }

    @Test func aCrashedControllerIsRunAgain() async throws {
        try await TestCluster.with { cluster in
            let crashing = CrashingController()
            let manager = RunningManager(client: cluster.client, configuration: .init(
                leaderElect: false, controllers: [crashing],
                restartBackoff: ExponentialBackoff(base: .milliseconds(10), maximum: .milliseconds(100))))
            try await eventually("the controller ran again") { crashing.runs.withLock { $0 } >= 2 }
            await manager.stop()
        }
    }
}
