import Logging
import SkiffAPI
import SkiffClient
import SkiffTesting
import Testing

/// The typed client and typed informers against the real API server over HTTPS: URLs from the model types,
/// every verb, the status subresource, errors as `APIError`, and an informer of `core.v1.Pod`.
@Suite struct TypedClientHTTPTests {
    static func pod(_ name: String, labels: [String: String] = ["app": "web"]) -> core.v1.Pod {
        core.v1.Pod(metadata: meta.v1.ObjectMeta(labels: labels, name: name),
                    spec: core.v1.PodSpec(containers: [core.v1.Container(image: "busybox", name: "c")]))
    }

    @Test func everyVerbThroughTheModelTypes() async throws {
        try await TestAPIServer.withClient { client, _ in
            let pods = client.pods("default")
            #expect(pods.path("a") == "/api/v1/namespaces/default/pods/a")
            #expect(client.deployments().resourcePath.collection == "/apis/apps/v1/deployments")
            #expect(client.nodes().path("n1", subresource: "status") == "/api/v1/nodes/n1/status")
            // A namespace given to a cluster-scoped resource is dropped, as its URLs have none.
            #expect(client.api(core.v1.Node.self, namespace: "default").path("n1") == "/api/v1/nodes/n1")

            let created = try await pods.create(Self.pod("a"))
            #expect(created.metadata?.uid?.isEmpty == false)
            #expect(created.spec?.containers.first?.image == "busybox")
            _ = try await pods.create(Self.pod("b", labels: ["app": "db"]))

            var fetched = try await pods.get("a")
            #expect(fetched.metadata?.resourceVersion == created.metadata?.resourceVersion)
            fetched.metadata?.annotations = ["note": "typed"]
            let updated = try await pods.update(fetched)
            #expect(updated.metadata?.annotations?["note"] == "typed")

            // A stale resourceVersion is a 409 Conflict, as with any client.
            await #expect { try await pods.update(fetched) } throws: { ($0 as? APIError)?.code == 409 }

            var status = updated
            status.status = core.v1.PodStatus(phase: "Running")
            let withStatus = try await pods.updateStatus(status)
            #expect(withStatus.status?.phase == "Running")

            let patched = try await pods.patch("a", .merge(["metadata": ["labels": ["tier": "front"]]]))
            #expect(patched.metadata?.labels == ["app": "web", "tier": "front"])
            let applied = try await pods.patch("b", .apply(["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "b", "labels": ["owner": "typed"]]]),
                                               options: WriteOptions(fieldManager: "typed-test"))
            #expect(applied.metadata?.labels?["owner"] == "typed")

            let web = try await pods.list(labelSelector: "app=web")
            #expect(web.items.map(\.metadata?.name) == ["a"])
            #expect(!web.resourceVersion.isEmpty)
            let all = try await client.pods().list()
            #expect(Set(all.items.compactMap(\.metadata?.name)).isSuperset(of: ["a", "b"]))

            let gone = try await pods.delete("b", options: meta.v1.DeleteOptions(gracePeriodSeconds: 0))
            #expect(gone?.metadata?.name == "b")
            await #expect { try await pods.get("b") } throws: { ($0 as? APIError)?.code == 404 }
            await #expect { try await pods.get("missing") } throws: { error in
                let api = error as? APIError
                return api?.code == 404 && api?.message == "pods \"missing\" not found"
            }
            // Bad input is refused by the server and changes nothing.
            await #expect { try await pods.create(core.v1.Pod(metadata: meta.v1.ObjectMeta(name: "Bad_Name"))) } throws: {
                ($0 as? APIError)?.code == 422
            }
            #expect(try await pods.list().items.count == 1)
        }
    }

    @Test func watchAndATypedInformer() async throws {
        try await TestAPIServer.withClient { client, _ in
            let pods = client.pods("default")
            let start = try await pods.list().resourceVersion
            let stream = pods.watch(resourceVersion: start)
            _ = try await pods.create(Self.pod("w1"))
            var iterator = stream.makeAsyncIterator()
            var added: core.v1.Pod?
            while let event = try await iterator.next() {
                if case .added(let pod) = event { added = pod; break }
            }
            #expect(added?.metadata?.name == "w1")

            let factory = SharedInformerFactory(client: client, logger: Logger(label: "typed-test"))
            let informer = factory.informer(core.v1.Pod.self, namespace: "default")
            #expect(factory.informer(core.v1.Pod.self, namespace: "default") === informer, "one informer per type and path")
            let run = Task { try await factory.run() }
            await informer.waitForSync()
            #expect(informer.indexer.get(key: "default/w1")?.spec?.containers.first?.name == "c")
            _ = try await pods.patch("w1", .merge(["metadata": ["labels": ["seen": "yes"]]]))
            let updated = await waitUntil(timeout: .seconds(10)) { informer.indexer.get(key: "default/w1")?.metadata?.labels?["seen"] == "yes" }
            #expect(updated)
            run.cancel()
        }
    }

    @Test func bindingEvictionAndScale() async throws {
        try await TestAPIServer.withClient { client, _ in
            let pods = client.pods("default")
            _ = try await pods.create(Self.pod("p"))
            try await pods.bind("p", to: "node-1")
            #expect(try await pods.get("p").spec?.nodeName == "node-1")
            await #expect { try await pods.bind("p", to: "node-2") } throws: { ($0 as? APIError)?.code == 409 }
            try await pods.evict("p", options: meta.v1.DeleteOptions(gracePeriodSeconds: 0))
            await #expect { try await pods.get("p") } throws: { ($0 as? APIError)?.code == 404 }

            let deployment = apps.v1.Deployment(
                metadata: meta.v1.ObjectMeta(name: "web"),
                spec: apps.v1.DeploymentSpec(
                    replicas: 1, selector: meta.v1.LabelSelector(matchLabels: ["app": "web"]),
                    template: core.v1.PodTemplateSpec(metadata: meta.v1.ObjectMeta(labels: ["app": "web"]),
                                                      spec: core.v1.PodSpec(containers: [core.v1.Container(image: "nginx", name: "c")]))))
            let deployments = client.deployments("default")
            _ = try await deployments.create(deployment)
            #expect(try await deployments.scale("web").spec?.replicas == 1)
            try await deployments.scale("web", replicas: 3)
            #expect(try await deployments.get("web").spec?.replicas == 3)
            await #expect { try await deployments.scale("web", replicas: -1) } throws: { ($0 as? APIError)?.code == 422 }
        }
    }
}
