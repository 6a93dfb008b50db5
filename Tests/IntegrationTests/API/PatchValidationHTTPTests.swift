import Foundation
import SkiffAPI
import SkiffClient
import SkiffTesting
import Testing

/// Patches, server-side apply, validation and selectors over real HTTPS.
@Suite struct PatchValidationHTTPTests {
    func withServer(_ body: (RESTClient) async throws -> Void) async throws {
        try await TestAPIServer.withClient { client, _ in try await body(client) }
    }

    static let configMaps = "/api/v1/namespaces/default/configmaps"
    static let deployments = "/apis/apps/v1/namespaces/default/deployments"

    func deployment(_ name: String) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name)],
         "spec": ["replicas": 1, "selector": ["matchLabels": ["app": .string(name)]],
                  "template": ["metadata": ["labels": ["app": .string(name)]],
                               "spec": ["containers": [["name": "web", "image": "busybox:latest", "command": ["sleep", "3600"]]]]]]]
    }

    @Test func patchTypesChangeWhatTheySay() async throws {
        try await withServer { client in
            _ = try await client.json(.POST, Self.configMaps, body: ["metadata": ["name": "p"], "data": ["a": "1"]])
            _ = try await client.json(.PATCH, Self.configMaps + "/p", body: ["data": ["b": "2"]], contentType: "application/merge-patch+json")
            _ = try await client.json(.PATCH, Self.configMaps + "/p", body: [["op": "add", "path": "/data/c", "value": "3"]],
                                      contentType: "application/json-patch+json")
            let patched = try await client.json(.GET, Self.configMaps + "/p")
            #expect(patched["data"] == ["a": "1", "b": "2", "c": "3"])

            _ = try await client.json(.POST, Self.deployments, body: deployment("web"))
            let smp: JSONValue = ["spec": ["replicas": 2, "template": ["spec": ["containers": [["name": "web", "image": "busybox:1.36"]]]]]]
            let updated = try await client.json(.PATCH, Self.deployments + "/web", body: smp, contentType: "application/strategic-merge-patch+json")
            #expect(updated["spec"]?["template"]?["spec"]?["containers"]?[0]?["image"] == "busybox:1.36")
            #expect(updated["spec"]?["template"]?["spec"]?["containers"]?[0]?["command"] == ["sleep", "3600"])
            #expect(updated["metadata"]?["generation"] == 2)
        }
    }

    @Test func badPatchesAreRefusedAndChangeNothing() async throws {
        try await withServer { client in
            let created = try await client.json(.POST, Self.configMaps, body: ["metadata": ["name": "q"], "data": ["a": "1"]])
            let missing = try await client.send(.PATCH, Self.configMaps + "/q", body: Array(#"[{"op":"remove","path":"/data/zz"}]"#.utf8),
                                                contentType: "application/json-patch+json")
            #expect(missing.status.code == 422)
            let notJSON = try await client.send(.PATCH, Self.configMaps + "/q", body: Array("{oops".utf8), contentType: "application/merge-patch+json")
            #expect(notJSON.status.code == 400)
            let wrongType = try await client.send(.PATCH, Self.configMaps + "/q", body: Array(#"{"data":{"a":5}}"#.utf8),
                                                  contentType: "application/merge-patch+json")
            #expect(wrongType.status.code == 400)
            let after = try await client.json(.GET, Self.configMaps + "/q")
            #expect(after["metadata"]?["resourceVersion"] == created["metadata"]?["resourceVersion"])
        }
    }

    @Test func serverSideApplyTracksOwnersAndReportsConflicts() async throws {
        try await withServer { client in
            let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {a: \"1\", b: \"2\"}\n"
            let first = try await client.send(.PATCH, Self.configMaps + "/ssa", query: [("fieldManager", "alice")], body: Array(yaml.utf8),
                                              contentType: "application/apply-patch+yaml")
            #expect(first.status.code == 201)
            let managed = try first.json()["metadata"]?["managedFields"]?.arrayValue ?? []
            #expect(managed.first?["manager"] == "alice")
            #expect(managed.first?["operation"] == "Apply")
            #expect(managed.first?["fieldsV1"] == ["f:data": [".": [:], "f:a": [:], "f:b": [:]]])

            let bob = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {a: \"other\"}\n"
            let conflict = try await client.send(.PATCH, Self.configMaps + "/ssa", query: [("fieldManager", "bob")], body: Array(bob.utf8),
                                                 contentType: "application/apply-patch+yaml")
            #expect(conflict.status.code == 409)
            let status = try conflict.json()
            #expect(status["message"]?.stringValue == "Apply failed with 1 conflict: conflict with \"alice\" using v1: .data.a")
            #expect(status["details"]?["causes"]?[0]?["field"] == ".data.a")

            let forced = try await client.send(.PATCH, Self.configMaps + "/ssa", query: [("fieldManager", "bob"), ("force", "true")],
                                               body: Array(bob.utf8), contentType: "application/apply-patch+yaml")
            #expect(forced.status.code == 200)
            #expect(try forced.json()["data"] == ["a": "other", "b": "2"])

            // Alice stops applying b: nobody else owns it, so it goes.
            let aliceAgain = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {}\n"
            let pruned = try await client.send(.PATCH, Self.configMaps + "/ssa", query: [("fieldManager", "alice")],
                                               body: Array(aliceAgain.utf8), contentType: "application/apply-patch+yaml")
            #expect(try pruned.json()["data"] == ["a": "other"])
        }
    }

    /// A block-style YAML apply (as `curl --data-binary @deploy.yaml` sends it) keeps its numbers and booleans.
    @Test func blockStyleYAMLApplyKeepsScalarTypes() async throws {
        try await withServer { client in
            let yaml = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              replicas: 3
              paused: true
              selector:
                matchLabels:
                  app: web
              template:
                metadata:
                  labels:
                    app: web
                spec:
                  containers:
                  - name: c
                    image: busybox
                    ports:
                    - containerPort: 80

            """
            let applied = try await client.send(.PATCH, "/apis/apps/v1/namespaces/default/deployments/web",
                                                query: [("fieldManager", "curl")], body: Array(yaml.utf8),
                                                contentType: "application/apply-patch+yaml")
            #expect(applied.status.code == 201, "\(String(decoding: applied.body, as: UTF8.self))")
            let spec = try applied.json()["spec"]
            #expect(spec?["replicas"] == 3)
            #expect(spec?["paused"] == true)
            #expect(spec?["template"]?["spec"]?["containers"]?[0]?["ports"]?[0]?["containerPort"] == 80)
        }
    }

    @Test func updatesRecordManagedFields() async throws {
        try await withServer { client in
            let created = try await client.json(.POST, Self.configMaps, query: [("fieldManager", "maker")],
                                                body: ["metadata": ["name": "m", "labels": ["x": "1"]], "data": ["a": "1"]])
            let entries = created["metadata"]?["managedFields"]?.arrayValue ?? []
            #expect(entries.count == 1)
            #expect(entries.first?["operation"] == "Update")
            #expect(entries.first?["fieldsV1"] == ["f:data": [".": [:], "f:a": [:]], "f:metadata": ["f:labels": [".": [:], "f:x": [:]]]])
            var changed = created
            changed["data"] = ["a": "2"]
            let updated = try await client.json(.PUT, Self.configMaps + "/m", query: [("fieldManager", "changer")], body: changed)
            let managers = updated["metadata"]?["managedFields"]?.arrayValue?.compactMap { $0["manager"]?.stringValue } ?? []
            #expect(managers == ["maker", "changer"])
            #expect(updated["metadata"]?["managedFields"]?[1]?["fieldsV1"] == ["f:data": ["f:a": [:]]])
        }
    }

    @Test func validationNamesTheFields() async throws {
        try await withServer { client in
            let badName = try await client.send(.POST, Self.configMaps, body: Array(#"{"metadata":{"name":"Bad_Name"}}"#.utf8))
            #expect(badName.status.code == 422)
            let status = try badName.json()
            #expect(status["reason"] == "Invalid")
            #expect(status["details"]?["causes"]?[0]?["field"] == "metadata.name")
            #expect(status["message"]?.stringValue?.hasPrefix("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain") == true)

            let badLabel = try await client.send(.POST, Self.configMaps, body: Array(#"{"metadata":{"name":"ok","labels":{"a":"not ok!"}}}"#.utf8))
            #expect(badLabel.status.code == 422)
            #expect(try badLabel.json()["details"]?["causes"]?[0]?["field"] == "metadata.labels")

            let noContainers = try await client.send(.POST, "/api/v1/namespaces/default/pods", body: Array(#"{"metadata":{"name":"p"},"spec":{}}"#.utf8))
            #expect(noContainers.status.code == 422)
            #expect(try noContainers.json()["details"]?["causes"]?[0]?["field"] == "spec.containers")

            var mismatched = deployment("d")
            mismatched.setValue(["app": "other"], at: ["spec", "template", "metadata", "labels"])
            let selector = try await client.send(.POST, Self.deployments, body: mismatched.serialized())
            #expect(selector.status.code == 422)
            #expect(try selector.json()["details"]?["causes"]?[0]?["field"] == "spec.template.metadata.labels")

            let list = try await client.json(.GET, Self.configMaps)
            #expect(list["items"]?.arrayValue?.isEmpty == true)
            let pods = try await client.json(.GET, "/api/v1/namespaces/default/pods")
            #expect(pods["items"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func selectorsFilterAndBadOnesAreRefused() async throws {
        try await withServer { client in
            for (name, env) in [("r1", "dev"), ("r2", "prod"), ("r3", "test")] {
                _ = try await client.json(.POST, Self.configMaps, body: ["metadata": ["name": .string(name), "labels": ["env": .string(env)]]])
            }
            func names(_ query: [(String, String)]) async throws -> [String] {
                let list = try await client.json(.GET, Self.configMaps + "?" + query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&"))
                return list["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue }.sorted() ?? []
            }
            #expect(try await names([("labelSelector", "env in (dev,test)")]) == ["r1", "r3"])
            #expect(try await names([("labelSelector", "env!=dev")]) == ["r2", "r3"])
            #expect(try await names([("fieldSelector", "metadata.name=r2")]) == ["r2"])
            let bad = try await client.send(.GET, Self.configMaps, query: [("labelSelector", "env in (dev")])
            #expect(bad.status.code == 400)
            let unknown = try await client.send(.GET, Self.configMaps, query: [("fieldSelector", "spec.nodeName=x")])
            #expect(unknown.status.code == 400)
            #expect(try unknown.json()["message"] == "field label not supported: spec.nodeName")
        }
    }
}
