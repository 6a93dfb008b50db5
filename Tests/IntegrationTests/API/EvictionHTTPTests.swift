import Foundation
import SkiffAPI
import SkiffClient
import SkiffTesting
import Testing

/// `pods/{name}/eviction`, as `kubectl drain` uses it.
@Suite struct EvictionHTTPTests {
    @Test func anEvictionDeletesThePodWithItsOptions() async throws {
        let server = try await TestAPIServer()
        let client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: server.kubeconfig.path))
        for name in ["a", "b"] {
            _ = try await client.json(.POST, "/api/v1/namespaces/default/pods", body: [
                "metadata": ["name": .string(name)],
                "spec": ["nodeName": "somewhere", "containers": [["name": "c", "image": "busybox"]]],
            ])
        }
        // A pod on a node waits for its kubelet: the eviction leaves it terminating with the grace asked for.
        let answer = try await client.json(.POST, "/api/v1/namespaces/default/pods/a/eviction", body: [
            "apiVersion": "policy/v1", "kind": "Eviction", "metadata": ["name": "a", "namespace": "default"],
            "deleteOptions": ["gracePeriodSeconds": 7],
        ])
        #expect(answer["status"] == "Success")
        let evicted = try await client.json(.GET, "/api/v1/namespaces/default/pods/a")
        #expect(evicted["metadata"]?["deletionTimestamp"] != nil)
        #expect(evicted["metadata"]?["deletionGracePeriodSeconds"] == 7)

        // Refused: another pod's name in the body, and a pod that does not exist. Neither changes anything.
        await #expect(throws: APIError.self) {
            _ = try await client.json(.POST, "/api/v1/namespaces/default/pods/b/eviction",
                                      body: ["apiVersion": "policy/v1", "kind": "Eviction", "metadata": ["name": "a"]])
        }
        #expect(try await client.json(.GET, "/api/v1/namespaces/default/pods/b")["metadata"]?["deletionTimestamp"] == nil)
        do {
            _ = try await client.json(.POST, "/api/v1/namespaces/default/pods/nope/eviction",
                                      body: ["apiVersion": "policy/v1", "kind": "Eviction", "metadata": ["name": "nope"]])
            Issue.record("evicting a missing pod succeeded")
        } catch let error as APIError {
            #expect(error.code == 404)
        }
        try await client.shutdown()
        await server.stop()
    }
}
