import Foundation
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

    @Test func theRootCAPublisherRunsOnlyWithACA() throws {
        let without = ControllerManager.defaultControllers.map(\.name)
        #expect(without.contains("pod-garbage-collector-controller"))
        #expect(without.contains("serviceaccount-controller"))
        #expect(!without.contains("root-ca-certificate-publisher-controller"))
        let with = ControllerManager.defaultControllers(terminatedPodGCThreshold: 5, rootCA: "-----BEGIN CERTIFICATE-----")
        #expect(with.map(\.name).contains("root-ca-certificate-publisher-controller"))
        let podGC = try #require(with.compactMap { $0 as? PodGCController }.first)
        #expect(podGC.terminatedPodThreshold == 5)
    }

    @Test func twoManagersOnlyOneLeadsAndTheStandbyTakesOver() async throws {
        try await TestCluster.with { cluster in
            let probeA = ProbeController()
            let probeB = ProbeController()
            // Slower timings than the other tests: a leader must keep its lease on a loaded machine.
            func configuration(_ identity: String, _ probe: ProbeController) -> ControllerManager.Configuration {
                .init(leaderElect: true, identity: identity, leaseDuration: .seconds(4), renewDeadline: .seconds(3),
                      retryPeriod: .milliseconds(250), releaseOnCancel: false,
                      controllers: [probe, GarbageCollector(workers: 2)])
            }
            let a = RunningManager(client: cluster.client, configuration: configuration("a", probeA))
            let b = RunningManager(client: cluster.client, configuration: configuration("b", probeB))
            try await eventually("one leads") { a.manager.isLeader || b.manager.isLeader }
            // Sampled for a while: never both, and never both sets of controllers.
            for _ in 0..<40 {
                #expect(!(a.manager.isLeader && b.manager.isLeader))
                #expect(probeA.running.withLock { $0 } + probeB.running.withLock { $0 } <= 1)
                try await Task.sleep(for: .milliseconds(50))
            }
            var found: RunningManager?
            try await eventually("the lease names the leader") {
                let lease = try await cluster.client.json(.GET, Self.leases.object("kube-controller-manager"))
                let current = a.manager.isLeader ? a : b.manager.isLeader ? b : nil
                guard let current, lease["spec"]?["holderIdentity"]?.stringValue == current.manager.identity else {
                    return false
                }
                found = current
                return true
            }
            guard let leader = found else { return }
            let (standby, standbyProbe) = leader === a ? (b, probeB) : (a, probeA)

            // The leader dies without a word (no release): the standby takes over once the lease expires,
            // and its collector, built from nothing, still does the work.
            await leader.stop()
            let owner = try await cluster.createConfigMap("owner")
            try await cluster.createConfigMap("child", owners: [ownerReference(to: owner)])
            try await cluster.delete(TestCluster.configMaps.object("owner", namespace: "default"))
            try await eventually("the standby leads") { standby.manager.isLeader }
            // Leadership is won before the controllers' tasks start, so their first run can come a moment later.
            try await eventually("the standby's controllers run") { standbyProbe.runs.withLock { $0 } >= 1 }
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

    /// The way `skiff server` starts it: from a kubeconfig the API server writes once it listens.
    @Test func aManagerWaitsForItsKubeconfigAndTheServer() async throws {
        try await TestCluster.with { cluster in
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-cm-\(UUID().uuidString).yaml")
            defer { try? FileManager.default.removeItem(at: path) }
            let probe = ProbeController()
            let manager = ControllerManager(kubeconfig: path, configuration: Self.configuration("from-file", [probe]),
                                            logger: testLogger("skiff.test.cm"))
            let task = Task { try await manager.run() }
            try await Task.sleep(for: .milliseconds(300))
            #expect(!manager.isLeader)
            try FileManager.default.copyItem(at: cluster.server.kubeconfig, to: path)
            try await eventually("it leads") { manager.isLeader && probe.runs.withLock { $0 } == 1 }
            task.cancel()
            try await task.value
        }
    }

    @Test func anUnusableKubeconfigStopsTheManagerWithItsError() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-cm-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: path) }
        try "apiVersion: v1\nkind: Config\ncontexts: []\n".write(to: path, atomically: true, encoding: .utf8)
        let manager = ControllerManager(kubeconfig: path, configuration: .init(controllers: []), logger: testLogger("skiff.test.cm"))
        await #expect(throws: ClientConfigError.self) { try await manager.run() }
        #expect(!manager.isLeader)
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
