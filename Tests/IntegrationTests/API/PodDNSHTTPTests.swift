import SkiffAPI
import SkiffClient
import SkiffTesting
import Testing

/// A pod's DNS settings refused through the API as upstream refuses them: 422 with its words, nothing stored.
@Suite struct PodDNSHTTPTests {
    @Test func aNonePolicyWithoutDNSConfigAndBadNameserversAreRefused() async throws {
        try await TestAPIServer.withClient { client, _ in
            func create(_ name: String, _ extra: JSONObject) async throws -> RESTClient.Response {
                var spec: JSONObject = ["containers": [["name": "c", "image": "busybox"]]]
                for (key, value) in extra { spec[key] = value }
                return try await client.send(.POST, "/api/v1/namespaces/default/pods",
                                             body: JSONValue.object(["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)],
                                                                     "spec": .object(spec)]).serialized())
            }
            let none = try await create("none", ["dnsPolicy": "None"])
            #expect(none.status.code == 422)
            #expect(try none.json()["message"]?.stringValue
                    == "Pod \"none\" is invalid: spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None")
            let bad = try await create("bad", ["dnsConfig": ["nameservers": ["1.1.1.1", "not-an-ip"], "options": [["value": "1"]]]])
            #expect(bad.status.code == 422)
            #expect(try bad.json()["message"]?.stringValue == "Pod \"bad\" is invalid: [spec.dnsConfig.nameservers[1]: Invalid value: "
                    + "\"not-an-ip\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff), "
                    + "spec.dnsConfig.options[0]: Required value: must not be empty]")
            #expect(try await client.send(.GET, "/api/v1/namespaces/default/pods/none").status.code == 404)
            let fine = try await create("fine", ["dnsPolicy": "None", "dnsConfig": ["nameservers": ["1.1.1.1"]]])
            #expect(fine.status.code == 201)
            // Templates are held to the same rules.
            let deployment: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "d"],
                                         "spec": ["selector": ["matchLabels": ["app": "d"]], "template": [
                                             "metadata": ["labels": ["app": "d"]],
                                             "spec": ["dnsPolicy": "None", "containers": [["name": "c", "image": "busybox"]]]]]]
            let refused = try await client.send(.POST, "/apis/apps/v1/namespaces/default/deployments", body: deployment.serialized())
            #expect(refused.status.code == 422)
            #expect(try refused.json()["message"]?.stringValue?.contains(
                "spec.template.spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None") == true)
        }
    }
}
