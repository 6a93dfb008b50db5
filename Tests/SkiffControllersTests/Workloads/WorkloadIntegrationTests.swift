import Foundation
import SkiffAPI
import SkiffClient
import SkiffControllers
import Testing

/// The ReplicaSet and Deployment controllers against a real API server. There is no scheduler or
/// kubelet here: pods stay unscheduled, and the test marks them Ready through `pods/{name}/status`
/// where a rollout needs availability.
@Suite(.timeLimit(.minutes(5))) struct WorkloadIntegrationTests {
    static let namespace = "default"
    static let pods = ResourcePath(group: "", version: "v1", resource: "pods", namespace: namespace)
    static let replicaSets = ResourcePath(group: "apps", version: "v1", resource: "replicasets", namespace: namespace)
    static let deployments = ResourcePath(group: "apps", version: "v1", resource: "deployments", namespace: namespace)

    /// The two workload controllers and the garbage collector, without leader election.
    static func startManager(_ cluster: TestCluster) -> RunningManager {
        RunningManager(client: cluster.client, configuration: .init(
            leaderElect: false,
            controllers: [ReplicaSetController(workers: 2), DeploymentController(workers: 2), GarbageCollector(workers: 2)]))
    }

    static func podTemplate(app: String, image: String) -> JSONValue {
        ["metadata": ["labels": ["app": .string(app)]],
         "spec": ["containers": [["name": "c", "image": .string(image)]]]]
    }

    // MARK: - Reading the cluster

    /// Pods in the namespace matching `selector`, without those being deleted.
    static func activePods(_ cluster: TestCluster, _ selector: String) async throws -> [JSONValue] {
        let list = try await cluster.client.json(.GET, pods.collection, query: [("labelSelector", selector)])
        return (list["items"]?.arrayValue ?? []).filter { $0["metadata"]?["deletionTimestamp"] == nil }
    }

    /// Active pods whose controller reference names the object with `uid`.
    static func podsControlled(by uid: String, _ cluster: TestCluster) async throws -> [JSONValue] {
        try await activePods(cluster, "").filter { controllerReference(of: $0)?["uid"]?.stringValue == uid }
    }

    static func controllerReference(of object: JSONValue) -> JSONValue? {
        object["metadata"]?["ownerReferences"]?.arrayValue?.first { $0["controller"]?.boolValue == true }
    }

    static func replicaSetsOwned(by uid: String, _ cluster: TestCluster) async throws -> [JSONValue] {
        let list = try await cluster.client.json(.GET, replicaSets.collection)
        return (list["items"]?.arrayValue ?? []).filter { controllerReference(of: $0)?["uid"]?.stringValue == uid }
    }

    static func revision(_ object: JSONValue) -> String? {
        object["metadata"]?["annotations"]?["deployment.kubernetes.io/revision"]?.stringValue
    }

    /// Marks a pod Running and Ready, as a kubelet would (merge patch of the status subresource).
    static func makeReady(_ pod: JSONValue, _ cluster: TestCluster) async throws {
        let now = Date().formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC") ?? .current))
        let name = pod["metadata"]?["name"]?.stringValue ?? ""
        try await cluster.mergePatch(pods.object(name) + "/status",
                                     ["status": ["phase": "Running",
                                                 "conditions": [["type": "Ready", "status": "True",
                                                                 "lastTransitionTime": .string(now)]]]])
    }

    static func isReady(_ pod: JSONValue) -> Bool {
        pod["status"]?["conditions"]?.arrayValue?.contains {
            $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
        } ?? false
    }

    // MARK: - ReplicaSet

    @Test func replicaSetKeepsItsPodCountAndReleasesRelabelledPods() async throws {
        try await TestCluster.with { cluster in
            let manager = Self.startManager(cluster)
            let created = try await cluster.client.json(.POST, Self.replicaSets.collection, body: [
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": ["name": "rsa"],
                "spec": ["replicas": 2, "selector": ["matchLabels": ["app": "rsa"]],
                         "template": Self.podTemplate(app: "rsa", image: "busybox:latest")],
            ])
            let uid = created["metadata"]?["uid"]?.stringValue ?? ""
            let path = Self.replicaSets.object("rsa")

            try await eventually("the ReplicaSet has two pods") { try await Self.podsControlled(by: uid, cluster).count == 2 }
            for pod in try await Self.podsControlled(by: uid, cluster) {
                let reference = Self.controllerReference(of: pod)
                #expect(reference?["apiVersion"] == "apps/v1")
                #expect(reference?["kind"] == "ReplicaSet")
                #expect(reference?["name"] == "rsa")
                #expect(reference?["blockOwnerDeletion"] == true)
                #expect(pod["metadata"]?["name"]?.stringValue?.hasPrefix("rsa-") == true)
                #expect(pod["metadata"]?["labels"]?["app"] == "rsa")
            }
            try await eventually("status.replicas and observedGeneration are written") {
                let rs = try await cluster.get(path)
                return rs?["status"]?["replicas"] == 2 && rs?["status"]?["observedGeneration"] == rs?["metadata"]?["generation"]
            }

            try await cluster.mergePatch(path, ["spec": ["replicas": 4]])
            try await eventually("scaling up to four creates pods") { try await Self.podsControlled(by: uid, cluster).count == 4 }
            try await eventually("the status follows the new generation") {
                let rs = try await cluster.get(path)
                return rs?["status"]?["replicas"] == 4 && rs?["metadata"]?["generation"] == 2
                    && rs?["status"]?["observedGeneration"] == 2
            }

            try await cluster.mergePatch(path, ["spec": ["replicas": 1]])
            try await eventually("scaling down to one deletes pods") {
                let owned = try await Self.podsControlled(by: uid, cluster)
                let matching = try await Self.activePods(cluster, "app=rsa")
                return owned.count == 1 && matching.count == 1
            }
            try await eventually("the status shows one replica") { try await cluster.get(path)?["status"]?["replicas"] == 1 }

            // A pod made Ready is counted as ready and available (minReadySeconds is 0).
            let survivor = try #require(try await Self.podsControlled(by: uid, cluster).first)
            try await Self.makeReady(survivor, cluster)
            try await eventually("the ready pod is counted") {
                let status = try await cluster.get(path)?["status"]
                return status?["readyReplicas"] == 1 && status?["availableReplicas"] == 1
            }

            // A pod that stops matching the selector is released and replaced.
            let relabelled = survivor["metadata"]?["name"]?.stringValue ?? ""
            try await cluster.mergePatch(Self.pods.object(relabelled),
                                         ["metadata": ["labels": ["app": "elsewhere"]]])
            try await eventually("the relabelled pod loses its owner reference") {
                let pod = try await cluster.get(Self.pods.object(relabelled))
                return pod != nil && pod?["metadata"]?["ownerReferences"] == nil
            }
            try await eventually("a replacement is created") {
                let owned = try await Self.podsControlled(by: uid, cluster)
                return owned.count == 1 && owned.first?["metadata"]?["name"]?.stringValue != relabelled
            }
            #expect(try await cluster.get(Self.pods.object(relabelled)) != nil)

            // Labelled back, the orphan is adopted and the surplus pod deleted.
            try await cluster.mergePatch(Self.pods.object(relabelled),
                                         ["metadata": ["labels": ["app": "rsa"]]])
            try await eventually("the orphan is adopted and the count is one again") {
                let owned = try await Self.podsControlled(by: uid, cluster)
                let matching = try await Self.activePods(cluster, "app=rsa")
                return owned.count == 1 && matching.count == 1
            }
            // Of the two, the unready replacement goes first; the ready, adopted pod stays.
            let kept = try await Self.podsControlled(by: uid, cluster)
            #expect(kept.map { $0["metadata"]?["name"]?.stringValue } == [relabelled])
            await manager.stop()
        }
    }

    // MARK: - Deployment

    @Test func deploymentRollsOutANewReplicaSetWhenTheTemplateChanges() async throws {
        try await TestCluster.with { cluster in
            let manager = Self.startManager(cluster)
            let created = try await cluster.client.json(.POST, Self.deployments.collection, body: [
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
                "spec": ["replicas": 2, "selector": ["matchLabels": ["app": "web"]],
                         "template": Self.podTemplate(app: "web", image: "nginx:1.24")],
            ])
            let uid = created["metadata"]?["uid"]?.stringValue ?? ""
            let path = Self.deployments.object("web")

            try await eventually("the first ReplicaSet is created") { try await Self.replicaSetsOwned(by: uid, cluster).count == 1 }
            let first = try #require(try await Self.replicaSetsOwned(by: uid, cluster).first)
            let firstHash = try #require(first["spec"]?["template"]?["metadata"]?["labels"]?["pod-template-hash"]?.stringValue)
            let firstName = first["metadata"]?["name"]?.stringValue ?? ""
            let firstUID = first["metadata"]?["uid"]?.stringValue ?? ""
            #expect(firstName == "web-\(firstHash)")
            #expect(first["spec"]?["selector"]?["matchLabels"]?["pod-template-hash"]?.stringValue == firstHash)
            #expect(first["metadata"]?["labels"]?["pod-template-hash"]?.stringValue == firstHash)
            #expect(Self.revision(first) == "1")
            #expect(Self.controllerReference(of: first)?["kind"] == "Deployment")
            try await eventually("the Deployment is at revision 1") { try await cluster.get(path).flatMap(Self.revision) == "1" }

            try await eventually("two pods carry the hash label") {
                let owned = try await Self.podsControlled(by: firstUID, cluster)
                return owned.count == 2 && owned.allSatisfy { $0["metadata"]?["labels"]?["pod-template-hash"]?.stringValue == firstHash }
            }
            for pod in try await Self.podsControlled(by: firstUID, cluster) { try await Self.makeReady(pod, cluster) }
            try await eventually("the Deployment reports two available replicas") {
                let status = try await cluster.get(path)?["status"]
                return status?["availableReplicas"] == 2 && status?["updatedReplicas"] == 2
            }

            try await cluster.mergePatch(path, ["spec": ["template": ["spec": ["containers": [["name": "c", "image": "nginx:1.25"]]]]]])
            try await eventually("a second ReplicaSet is created") { try await Self.replicaSetsOwned(by: uid, cluster).count == 2 }
            let second = try #require(try await Self.replicaSetsOwned(by: uid, cluster).first {
                $0["metadata"]?["uid"]?.stringValue != firstUID
            })
            let secondHash = try #require(second["spec"]?["template"]?["metadata"]?["labels"]?["pod-template-hash"]?.stringValue)
            let secondName = second["metadata"]?["name"]?.stringValue ?? ""
            let secondUID = second["metadata"]?["uid"]?.stringValue ?? ""
            #expect(secondHash != firstHash)
            #expect(secondName == "web-\(secondHash)")
            #expect(Self.revision(second) == "2")
            #expect(second["spec"]?["template"]?["spec"]?["containers"]?[0]?["image"] == "nginx:1.25")

            // Play the kubelet: the new ReplicaSet's pods turn Ready as they appear, until the old one is empty.
            try await eventually("the old ReplicaSet is scaled to zero and the new one to two") {
                for pod in try await Self.podsControlled(by: secondUID, cluster) where !Self.isReady(pod) {
                    try await Self.makeReady(pod, cluster)
                }
                let old = try await cluster.get(Self.replicaSets.object(firstName))
                let new = try await cluster.get(Self.replicaSets.object(secondName))
                return old?["spec"]?["replicas"] == 0 && new?["spec"]?["replicas"] == 2
            }
            try await eventually("the old pods are gone and the rollout is complete") {
                let status = try await cluster.get(path)?["status"]
                let oldPods = try await Self.podsControlled(by: firstUID, cluster)
                return oldPods.isEmpty && status?["updatedReplicas"] == 2 && status?["availableReplicas"] == 2
                    && status?["replicas"] == 2
            }
            let deployment = try #require(try await cluster.get(path))
            #expect(Self.revision(deployment) == "2")
            #expect(deployment["status"]?["observedGeneration"] == deployment["metadata"]?["generation"])
            let progressing = deployment["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "Progressing" }
            #expect(progressing?["reason"] == "NewReplicaSetAvailable")
            let old = try await cluster.get(Self.replicaSets.object(firstName))
            #expect(old.flatMap(Self.revision) == "1")
            #expect(try await Self.podsControlled(by: secondUID, cluster).allSatisfy {
                $0["spec"]?["containers"]?[0]?["image"] == "nginx:1.25"
            })
            await manager.stop()
        }
    }

    // MARK: - Preconditions the controllers rely on

    /// The controllers' owner patches name the resourceVersion they were computed from: the server
    /// must refuse a stale one with 409 Conflict and leave the object alone.
    @Test func mergePatchWithAStaleResourceVersionIsAConflict() async throws {
        try await TestCluster.with { cluster in
            let created = try await cluster.createConfigMap("precondition")
            let path = TestCluster.configMaps.object("precondition", namespace: "default")
            let stale = created["metadata"]?["resourceVersion"]?.stringValue ?? ""
            try await cluster.mergePatch(path, ["data": ["k": "changed"]])
            let current = try #require(try await cluster.configMap("precondition"))
            await #expect(throws: APIError.self) {
                do {
                    try await cluster.mergePatch(path, ["metadata": ["resourceVersion": .string(stale)], "data": ["k": "stale"]])
                } catch let error as APIError {
                    #expect(error.code == 409)
                    #expect(error.isConflict)
                    throw error
                }
            }
            #expect(try await cluster.configMap("precondition") == current)
            let fresh = current["metadata"]?["resourceVersion"] ?? ""
            try await cluster.mergePatch(path, ["metadata": ["resourceVersion": fresh], "data": ["k": "fresh"]])
            #expect(try await cluster.configMap("precondition")?["data"]?["k"] == "fresh")
        }
    }
}
