import Foundation
import SkiffAPI
import SkiffClient
import SkiffControllers
import Testing

/// What crosses the wire to the garbage collector's informers: `PartialObjectMetadata`, not whole objects.
@Suite(.timeLimit(.minutes(2))) struct MetadataInformerTests {
    /// Records what each listed or watched object was, as the server sent it.
    struct Probe: InformerObject {
        var kind: String
        var hasSpec: Bool
        var metadata: ObjectMetadata
        init(informerJSON json: JSONValue) {
            kind = json["kind"]?.stringValue ?? ""
            hasSpec = json["spec"] != nil
            metadata = ObjectMetadata(object: json)
        }
        var objectNamespace: String { metadata.namespace }
        var objectName: String { metadata.name }
        var objectResourceVersion: String { metadata.resourceVersion }
        var objectLabels: [String: String] { [:] }
        static var informerAccept: String { ObjectMetadata.informerAccept }
    }

    @Test func listsAndWatchesCarryOnlyMetadata() async throws {
        try await TestCluster.with { cluster in
            let pods = ResourcePath(group: "", version: "v1", resource: "pods", namespace: "default")
            let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "first", "finalizers": ["x.skiff.dev/keep"]],
                                  "spec": ["containers": [["name": "c", "image": "busybox"]]]]
            _ = try await cluster.client.json(.POST, pods.collection, body: pod)
            let source = ListWatch<Probe>.rest(cluster.client, pods)
            let page = try await source.list(nil)
            #expect(page.items.map(\.kind) == ["PartialObjectMetadata"])
            #expect(page.items.first?.hasSpec == false)
            #expect(page.items.first?.metadata.finalizers == ["x.skiff.dev/keep"])

            var second = pod
            second["metadata"] = ["name": "second"]
            let stream = source.watch(page.resourceVersion)
            _ = try await cluster.client.json(.POST, pods.collection, body: second)
            for try await event in stream {
                let probe = try event.decode(Probe.self, transform: nil)
                #expect(probe.kind == "PartialObjectMetadata")
                #expect(!probe.hasSpec)
                #expect(probe.metadata.name == "second")
                #expect(!probe.metadata.uid.isEmpty)
                break
            }
        }
    }
}
