import Foundation
import SkiffAPI
import SkiffClient
import SkiffControllers
import Testing

/// The pod garbage collector against a real API server, with a short period and quarantine.
@Suite(.timeLimit(.minutes(5))) struct PodGCTests {
    static let pods = ResourcePath(group: "", version: "v1", resource: "pods", namespace: "default")
    static let nodes = ResourcePath(group: "", version: "v1", resource: "nodes")

    func start(_ cluster: TestCluster, threshold: Int = 0) -> RunningManager {
        RunningManager(client: cluster.client, configuration: .init(
            leaderElect: false,
            controllers: [PodGCController(terminatedPodThreshold: threshold, checkPeriod: .milliseconds(200),
                                          quarantine: .milliseconds(500))]))
    }

    @discardableResult
    func createPod(_ cluster: TestCluster, _ name: String, node: String? = nil, finalizers: [String] = []) async throws -> JSONValue {
        var spec: JSONValue = ["containers": [["name": "c", "image": "busybox"]]]
        if let node { spec["nodeName"] = .string(node) }
        var metadata: JSONValue = ["name": .string(name)]
        if !finalizers.isEmpty { metadata["finalizers"] = .array(finalizers.map { .string($0) }) }
        return try await cluster.client.json(.POST, Self.pods.collection,
                                             body: ["apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec])
    }

    func createNode(_ cluster: TestCluster, _ name: String) async throws {
        _ = try await cluster.client.json(.POST, Self.nodes.collection,
                                          body: ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name)]])
    }

    func setPhase(_ cluster: TestCluster, _ name: String, _ phase: String) async throws {
        try await cluster.mergePatch(Self.pods.object(name) + "/status", ["status": ["phase": .string(phase)]])
    }

    func pod(_ cluster: TestCluster, _ name: String) async throws -> JSONValue? {
        try await cluster.get(Self.pods.object(name))
    }

    func podNames(_ cluster: TestCluster) async throws -> Set<String> {
        let list = try await cluster.client.json(.GET, Self.pods.collection)
        return Set((list["items"]?.arrayValue ?? []).map(\.objectName))
    }

    @Test func podsBoundToADeletedNodeAreRemoved() async throws {
        try await TestCluster.with { cluster in
            try await createNode(cluster, "doomed-node")
            try await createNode(cluster, "kept-node")
            try await createPod(cluster, "orphan", node: "doomed-node")
            try await createPod(cluster, "fine", node: "kept-node")
            let manager = start(cluster)
            // Watch the orphan's last state: it is marked Failed with DisruptionTarget before it goes.
            let watch = try await cluster.client.json(.GET, Self.pods.collection)
            let version = watch["metadata"]?["resourceVersion"]?.stringValue ?? "0"
            try await cluster.delete(Self.nodes.object("doomed-node"))
            try await eventually("the orphaned pod is gone") { try await pod(cluster, "orphan") == nil }
            #expect(try await pod(cluster, "fine") != nil)

            let stream = cluster.client.watch(Self.pods.collection, query: [("resourceVersion", version)])
            var marked: JSONValue?
            for try await event in stream {
                if event.object.objectName == "orphan", event.object["status"]?["phase"] == "Failed" { marked = event.object }
                if event.type == "DELETED", event.object.objectName == "orphan" { break }
            }
            let condition = (marked?["status"]?["conditions"]?.arrayValue ?? []).first { $0["type"] == "DisruptionTarget" }
            #expect(condition?["status"] == "True")
            #expect(condition?["reason"] == "DeletionByPodGC")
            #expect(condition?["message"] == "PodGC: node no longer exists")
            await manager.stop()
        }
    }

    /// A pod naming a node that is not there waits out the quarantine (a node created a moment ago may
    /// not be cached yet) before the GET that condemns it. Time is stepped on a manual clock: the default
    /// 40-second quarantine takes no wall time.
    @Test func podsOfAMissingNodeWaitOutTheQuarantine() async throws {
        try await TestCluster.with { cluster in
            let time = ManualClock()
            try await createPod(cluster, "waiting", node: "never-node")
            let manager = RunningManager(client: cluster.client, configuration: .init(
                leaderElect: false,
                controllers: [PodGCController(terminatedPodThreshold: 0, checkPeriod: .seconds(20), quarantine: .seconds(40))],
                clock: .manual(time)))
            try await eventually("the first round has run") { time.sleeperCount > 0 }
            time.advance(by: .seconds(20))
            try await eventually("the second round has run") { time.sleeperCount > 0 }
            // 20 of the 40 seconds since the controller first missed the node have passed.
            #expect(try await pod(cluster, "waiting") != nil)
            time.advance(by: .seconds(20))
            try await eventually("the pod is gone after the quarantine") { try await pod(cluster, "waiting") == nil }
            await manager.stop()
        }
    }

    @Test func terminatedPodsBeyondTheThresholdGoOldestFirst() async throws {
        try await TestCluster.with { cluster in
            let manager = start(cluster, threshold: 2)
            try await createPod(cluster, "a-running")
            // Names that sort against their age, each in a second of its own (timestamps have whole
            // seconds), so only oldest-first leaves b-3 and a-4.
            let names = ["z-0", "y-1", "x-2", "b-3", "a-4"]
            for (index, name) in names.enumerated() {
                try await createPod(cluster, name)
                if index < 3 { try await Task.sleep(for: .milliseconds(1050)) }
            }
            for (index, name) in names.enumerated() { try await setPhase(cluster, name, index.isMultiple(of: 2) ? "Succeeded" : "Failed") }
            try await eventually("only the two newest terminated pods are left") {
                try await podNames(cluster) == ["a-running", "b-3", "a-4"]
            }
            try await Task.sleep(for: .milliseconds(600))
            #expect(try await podNames(cluster) == ["a-running", "b-3", "a-4"])
            await manager.stop()
        }
    }

    /// A terminating pod no node will ever finish is marked Failed and force-deleted; a finalizer holds it
    /// until its owner removes it, then the API server lets it go at once.
    @Test func terminatingUnscheduledPodsAreForceDeleted() async throws {
        try await TestCluster.with { cluster in
            try await createPod(cluster, "stuck", finalizers: ["test.skiff.dev/hold"])
            try await cluster.delete(Self.pods.object("stuck"))
            #expect(try await pod(cluster, "stuck")?["metadata"]?["deletionTimestamp"] != nil)
            let manager = start(cluster)
            try await eventually("the pod is marked Failed") {
                try await pod(cluster, "stuck")?["status"]?["phase"] == "Failed"
            }
            try await cluster.mergePatch(Self.pods.object("stuck"), ["metadata": ["finalizers": nil]])
            try await eventually("the pod is gone") { try await pod(cluster, "stuck") == nil }
            await manager.stop()
        }
    }
}
