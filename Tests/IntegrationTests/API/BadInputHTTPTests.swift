import Foundation
import SkiffAPI
import SkiffClient
import SkiffTesting
import Testing

/// Bad input that used to be accepted: each is refused with upstream's code and words, and changes nothing.
@Suite struct BadInputHTTPTests {
    func withServer(_ body: (RESTClient, TestAPIServer) async throws -> Void) async throws {
        try await TestAPIServer.withClient(body)
    }

    func expect(_ response: RESTClient.Response, _ code: UInt, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status.code == code, sourceLocation: sourceLocation)
        #expect((try? response.json()["message"]?.stringValue) == message, sourceLocation: sourceLocation)
    }

    func body(_ value: JSONValue) -> [UInt8] { value.serialized() }

    @Test func deleteBodiesThatAreNotDeleteOptionsDeleteNothing() async throws {
        try await withServer { client, _ in
            _ = try await client.json(.POST, "/api/v1/namespaces/default/configmaps", body: ["metadata": ["name": "keep"]])
            let path = "/api/v1/namespaces/default/configmaps/keep"
            expect(try await client.send(.DELETE, path, body: body(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "keep"]])),
                   400, "no kind \"ConfigMap\" is registered for version \"v1\" in scheme \"k8s.io/apimachinery/pkg/apis/meta/internalversion/scheme/register.go:27\"")
            expect(try await client.send(.DELETE, path, body: body(["gracePeriodSeconds": "abc"])),
                   400, "json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64")
            expect(try await client.send(.DELETE, path, body: body(["propagationPolicy": 3])),
                   400, "json: cannot unmarshal number into Go struct field DeleteOptions.propagationPolicy of type v1.DeletionPropagation")
            #expect(try await client.send(.GET, path).status.code == 200, "nothing was deleted")
            #expect(try await client.send(.DELETE, path, body: body(["kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0])).status.code == 200)
        }
    }

    @Test func strictFieldValidationRefusesDuplicateFields() async throws {
        try await withServer { client, _ in
            let text = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","name":"dup"},"data":{"a":"1","a":"2"}}"#
            expect(try await client.send(.POST, "/api/v1/namespaces/default/configmaps", query: [("fieldValidation", "Strict")],
                                         body: Array(text.utf8)),
                   400, "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: duplicate field \"metadata.name\", duplicate field \"data.a\"")
            #expect(try await client.send(.GET, "/api/v1/namespaces/default/configmaps/dup").status.code == 404)
            // Warn (the default): created, the last value wins, and the duplicates are warned about.
            let warned = try await client.send(.POST, "/api/v1/namespaces/default/configmaps", body: Array(text.utf8))
            #expect(warned.status.code == 201)
            #expect(try warned.json()["data"]?["a"] == "2")
            #expect(warned.headers["Warning"].contains { $0.contains("duplicate field \\\"data.a\\\"") }, "\(warned.headers)")
        }
    }

    @Test func malformedAndNegativeQuantitiesAreRefused() async throws {
        try await withServer { client, _ in
            func pod(_ name: String, _ resources: JSONValue) -> [UInt8] {
                body(["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)],
                      "spec": ["containers": [["name": "c", "image": "busybox", "resources": resources]]]])
            }
            expect(try await client.send(.POST, "/api/v1/namespaces/default/pods", body: pod("lots", ["limits": ["cpu": "lots"]])),
                   400, "Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
            let negative = try await client.send(.POST, "/api/v1/namespaces/default/pods", body: pod("neg", ["requests": ["memory": "-1Gi"]]))
            expect(negative, 422, "Pod \"neg\" is invalid: spec.containers[0].resources.requests.memory: Invalid value: \"-1Gi\": must be greater than or equal to 0")
            #expect(try await client.send(.GET, "/api/v1/namespaces/default/pods/lots").status.code == 404)
        }
    }

    @Test func aNullLabelValueIsTheEmptyString() async throws {
        try await withServer { client, _ in
            let created = try await client.json(.POST, "/api/v1/namespaces/default/configmaps",
                                                body: ["metadata": ["name": "l", "labels": ["a": nil]]])
            #expect(created["metadata"]?["labels"] == ["a": ""])
        }
    }

    @Test func servicesWithoutPortsOrWithATakenAddressAreRefusedAndAFreedAddressIsFreeAtOnce() async throws {
        try await withServer { client, _ in
            let zero = try await client.send(.POST, "/api/v1/namespaces/default/services",
                                             body: body(["metadata": ["name": "zero"], "spec": ["ports": [["port": 0]]]]))
            expect(zero, 422, "Service \"zero\" is invalid: [spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive]")
            let first = try await client.json(.POST, "/api/v1/namespaces/default/services",
                                              body: ["metadata": ["name": "a"], "spec": ["ports": [["port": 80]]]])
            let ip = try #require(first["spec"]?["clusterIP"]?.stringValue)
            let taken = try await client.send(.POST, "/api/v1/namespaces/default/services",
                                              body: body(["metadata": ["name": "b"], "spec": ["clusterIP": .string(ip), "ports": [["port": 80]]]]))
            expect(taken, 422, "Service \"b\" is invalid: spec.clusterIPs: Invalid value: []string{\"\(ip)\"}: failed to allocate IP \(ip): provided IP is already allocated")
            // Deleted and created again at once with its address, as `kubectl replace --force` does.
            _ = try await client.json(.DELETE, "/api/v1/namespaces/default/services/a")
            let again = try await client.json(.POST, "/api/v1/namespaces/default/services",
                                              body: ["metadata": ["name": "a"], "spec": ["clusterIP": .string(ip), "ports": [["port": 80]]]])
            #expect(again["spec"]?["clusterIP"]?.stringValue == ip)
            var moved = again
            moved["spec"]?["clusterIP"] = "10.96.0.77"
            moved["spec"]?["clusterIPs"] = ["10.96.0.77"]
            expect(try await client.send(.PUT, "/api/v1/namespaces/default/services/a", body: body(moved)),
                   422, "Service \"a\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.77\"}: may not change once set")
        }
    }

    @Test func patchesAndObjectsPastTheSizeLimitsAreRefused() async throws {
        try await withServer { client, _ in
            _ = try await client.json(.POST, "/api/v1/namespaces/default/configmaps", body: ["metadata": ["name": "p"], "data": ["a": "1"]])
            let path = "/api/v1/namespaces/default/configmaps/p"
            let many = JSONValue.array(Array(repeating: ["op": "test", "path": "/data/a", "value": "1"], count: 10_001))
            expect(try await client.send(.PATCH, path, body: body(many), contentType: "application/json-patch+json"),
                   413, "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001")
            // 1 MB added, then copied 39 times: refused long before 40 MB are built.
            var growth: [JSONValue] = [["op": "add", "path": "/data/big", "value": .string(String(repeating: "x", count: 1_000_000))]]
            for i in 0..<39 { growth.append(["op": "copy", "from": "/data/big", "path": .string("/data/c\(i)")]) }
            let grown = try await client.send(.PATCH, path, body: body(.array(growth)), contentType: "application/json-patch+json")
            #expect(grown.status.code == 422, "\(String(decoding: grown.body.prefix(300), as: UTF8.self))")
            // An object over etcd's request limit cannot be stored, on any backend.
            let huge = String(repeating: "y", count: 1_600_000)
            let tooLarge = try await client.send(.POST, "/api/v1/namespaces/default/pods", body: body([
                "metadata": ["name": "huge", "annotations": ["a": .string(huge)]],
                "spec": ["containers": [["name": "c", "image": "busybox"]]],
            ]))
            #expect(tooLarge.status.code == 500 || tooLarge.status.code == 422, "\(tooLarge.status)")
            #expect(try await client.send(.GET, "/api/v1/namespaces/default/pods/huge").status.code == 404)
            let stored = try await client.json(.GET, path)
            #expect(stored["data"] == ["a": "1"], "the refused patches changed nothing")
        }
    }

    @Test func aBodyOfAnotherKindIsRefusedAsUpstreamDecodesIt() async throws {
        try await withServer { client, _ in
            let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
            expect(try await client.send(.POST, "/api/v1/namespaces", body: Array(yaml.utf8), contentType: "application/yaml"),
                   400, "ConfigMap in version \"v1\" cannot be handled as a Namespace: converting (v1.ConfigMap) to (core.Namespace): unknown conversion")
            // YAML sent as JSON: its kind cannot be read at all.
            expect(try await client.send(.POST, "/api/v1/namespaces", body: Array(yaml.utf8)),
                   400, "the object provided is unrecognized (must be of type Namespace): couldn't get version/kind; json parse error: invalid character 'a' looking for beginning of value (61706956657273696f6e3a2076310a6b696e643a20436f6e6669674d6170 ...)")
            #expect(try await client.send(.GET, "/api/v1/namespaces/x").status.code == 404)
        }
    }

    @Test func immutableFieldsOfTheBuiltInKindsAreRefused() async throws {
        try await withServer { client, _ in
            let template: JSONValue = ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "c", "image": "i"]]]]
            func replace(_ path: String, _ change: (inout JSONValue) -> Void) async throws -> RESTClient.Response {
                var object = try await client.json(.GET, path)
                change(&object)
                return try await client.send(.PUT, path, body: body(object))
            }
            _ = try await client.json(.POST, "/apis/apps/v1/namespaces/default/deployments", body: [
                "metadata": ["name": "web"], "spec": ["selector": ["matchLabels": ["app": "web"]], "template": template]])
            expect(try await replace("/apis/apps/v1/namespaces/default/deployments/web") {
                $0["spec"]?["selector"] = ["matchLabels": ["app": "web", "tier": "x"]]
                $0["spec"]?["template"]?["metadata"]?["labels"]?["tier"] = "x"
            }, 422, "Deployment.apps \"web\" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"tier\":\"x\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable")
            _ = try await client.json(.POST, "/apis/apps/v1/namespaces/default/statefulsets", body: [
                "metadata": ["name": "db"], "spec": ["serviceName": "db", "selector": ["matchLabels": ["app": "web"]], "template": template]])
            expect(try await replace("/apis/apps/v1/namespaces/default/statefulsets/db") { $0["spec"]?["serviceName"] = "other" },
                   422, "StatefulSet.apps \"db\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")
            let scaled = try await replace("/apis/apps/v1/namespaces/default/statefulsets/db") { $0["spec"]?["replicas"] = 3 }
            #expect(scaled.status.code == 200, "\(String(decoding: scaled.body, as: UTF8.self))")
            _ = try await client.json(.POST, "/apis/batch/v1/namespaces/default/jobs", body: [
                "metadata": ["name": "once"], "spec": ["completions": 2, "template": [
                    "spec": ["restartPolicy": "Never", "containers": [["name": "c", "image": "i"]]]]]])
            expect(try await replace("/apis/batch/v1/namespaces/default/jobs/once") { $0["spec"]?["completions"] = 5 },
                   422, "Job.batch \"once\" is invalid: spec.completions: Invalid value: 5: field is immutable")
            _ = try await client.json(.POST, "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", body: [
                "metadata": ["name": "rb"], "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"],
                "subjects": [["kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"]]])
            expect(try await replace("/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/rb") { $0["roleRef"]?["name"] = "edit" },
                   422, "RoleBinding.rbac.authorization.k8s.io \"rb\" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"edit\"}: cannot change roleRef")
            _ = try await client.json(.POST, "/api/v1/nodes", body: ["metadata": ["name": "n1"],
                                                                     "spec": ["podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"]]])
            expect(try await replace("/api/v1/nodes/n1") { $0["spec"]?["podCIDR"] = "10.244.2.0/24"; $0["spec"]?["podCIDRs"] = ["10.244.2.0/24"] },
                   422, "Node \"n1\" is invalid: spec.podCIDRs: Forbidden: node updates may not change podCIDR except from \"\" to valid")
            #expect(try await replace("/api/v1/nodes/n1") { $0["spec"]?["unschedulable"] = true }.status.code == 200)
        }
    }
}
