import Foundation
import SkiffAPI
import SkiffClient
import SkiffTesting
import Testing

/// Resources served in two API versions from one storage (autoscaling/v1 and v2 autoscalers,
/// core/v1 and events.k8s.io/v1 Events) over real HTTPS: written through one version, read, listed,
/// watched and patched through the other.
@Suite struct APIVersionsHTTPTests {
    func withServer(_ body: (RESTClient) async throws -> Void) async throws {
        try await TestAPIServer.withClient { client, _ in try await body(client) }
    }

    static let v1 = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers"
    static let v2 = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers"
    static let coreEvents = "/api/v1/namespaces/default/events"
    static let newEvents = "/apis/events.k8s.io/v1/namespaces/default/events"

    func hpaV2(_ name: String) -> JSONValue {
        ["apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": ["name": .string(name)],
         "spec": ["scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": .string(name)],
                  "minReplicas": 2, "maxReplicas": 6,
                  "metrics": [["type": "Resource", "resource": ["name": "memory", "target": ["type": "AverageValue", "averageValue": "500Mi"]]],
                              ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 60]]]],
                  "behavior": ["scaleDown": ["stabilizationWindowSeconds": 120]]]]
    }

    @Test func autoscalerWrittenInV2IsTheSameObjectInV1() async throws {
        try await withServer { client in
            let created = try await client.json(.POST, Self.v2, body: hpaV2("web"))
            let asV1 = try await client.json(.GET, Self.v1 + "/web")
            #expect(asV1["apiVersion"] == "autoscaling/v1")
            #expect(asV1["spec"]?["targetCPUUtilizationPercentage"] == 60)
            #expect(asV1["spec"]?["metrics"] == nil)
            #expect(asV1["metadata"]?["uid"] == created["metadata"]?["uid"])
            #expect(asV1["metadata"]?["resourceVersion"] == created["metadata"]?["resourceVersion"])
            #expect(asV1["metadata"]?["annotations"]?["autoscaling.alpha.kubernetes.io/metrics"]?.stringValue?.contains("500Mi") == true)

            let list = try await client.json(.GET, Self.v1)
            #expect(list["apiVersion"] == "autoscaling/v1" && list["kind"] == "HorizontalPodAutoscalerList")
            #expect(list["items"]?[0]?["spec"]?["targetCPUUtilizationPercentage"] == 60)

            // A v1 read-modify-write keeps what only v2 can say.
            var edited = asV1
            edited.setValue(70, at: ["spec", "targetCPUUtilizationPercentage"])
            let put = try await client.json(.PUT, Self.v1 + "/web", body: edited)
            #expect(put["spec"]?["targetCPUUtilizationPercentage"] == 70)
            let after = try await client.json(.GET, Self.v2 + "/web")
            #expect(after["spec"]?["metrics"] == [
                ["type": "Resource", "resource": ["name": "memory", "target": ["type": "AverageValue", "averageValue": "500Mi"]]],
                ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 70]]]])
            #expect(after["spec"]?["behavior"] == ["scaleDown": ["stabilizationWindowSeconds": 120]])
            #expect(after["metadata"]?["annotations"] == nil)
            #expect(after["metadata"]?["generation"] == 2)

            // Writing back the unchanged v1 form changes nothing, not even the resourceVersion.
            let again = try await client.json(.GET, Self.v1 + "/web")
            let unchanged = try await client.json(.PUT, Self.v1 + "/web", body: again)
            #expect(unchanged["metadata"]?["resourceVersion"] == again["metadata"]?["resourceVersion"])
        }
    }

    @Test func autoscalerWrittenInV1IsPatchedInBothVersions() async throws {
        try await withServer { client in
            let body: JSONValue = ["metadata": ["name": "api"],
                                   "spec": ["scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "api"],
                                            "maxReplicas": 4, "targetCPUUtilizationPercentage": 50]]
            let created = try await client.json(.POST, Self.v1, body: body)
            #expect(created["apiVersion"] == "autoscaling/v1" && created["spec"]?["minReplicas"] == 1)
            let asV2 = try await client.json(.GET, Self.v2 + "/api")
            #expect(asV2["spec"]?["metrics"] == [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 50]]]])

            let merged = try await client.json(.PATCH, Self.v1 + "/api", body: ["spec": ["targetCPUUtilizationPercentage": 65]],
                                               contentType: "application/merge-patch+json")
            #expect(merged["spec"]?["targetCPUUtilizationPercentage"] == 65)
            let strategic = try await client.json(.PATCH, Self.v1 + "/api", body: ["spec": ["maxReplicas": 8]],
                                                  contentType: "application/strategic-merge-patch+json")
            #expect(strategic["spec"]?["maxReplicas"] == 8 && strategic["spec"]?["targetCPUUtilizationPercentage"] == 65)
            let jsonPatch = try await client.json(.PATCH, Self.v2 + "/api",
                                                  body: [["op": "replace", "path": "/spec/metrics/0/resource/target/averageUtilization", "value": 75]],
                                                  contentType: "application/json-patch+json")
            #expect(jsonPatch["spec"]?["metrics"]?[0]?["resource"]?["target"]?["averageUtilization"] == 75)
            #expect(try await client.json(.GET, Self.v1 + "/api")["spec"]?["targetCPUUtilizationPercentage"] == 75)

            // Status written through v1's status subresource reaches v2's status.
            var status = try await client.json(.GET, Self.v1 + "/api/status")
            status["status"] = ["currentReplicas": 2, "desiredReplicas": 3, "currentCPUUtilizationPercentage": 41]
            _ = try await client.json(.PUT, Self.v1 + "/api/status", body: status)
            let v2Status = try await client.json(.GET, Self.v2 + "/api")["status"]
            #expect(v2Status?["currentMetrics"]?[0]?["resource"]?["current"]?["averageUtilization"] == 41)
            #expect(v2Status?["desiredReplicas"] == 3)
        }
    }

    @Test func serverSideApplyInV1RecordsV1Fields() async throws {
        try await withServer { client in
            // JSON, as kubectl sends apply bodies (block-style YAML numbers are a separate known issue).
            let yaml = #"{"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"ssa"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"ssa"},"maxReplicas":3,"targetCPUUtilizationPercentage":40}}"#
            let response = try await client.send(.PATCH, Self.v1 + "/ssa", query: [("fieldManager", "tester")], body: Array(yaml.utf8),
                                                 contentType: "application/apply-patch+yaml")
            #expect(response.status.code == 201, "\(String(decoding: response.body, as: UTF8.self))")
            let applied = try response.json()
            let entry = applied["metadata"]?["managedFields"]?[0]
            #expect(entry?["apiVersion"] == "autoscaling/v1" && entry?["operation"] == "Apply")
            #expect(entry?["fieldsV1"]?["f:spec"]?["f:targetCPUUtilizationPercentage"] != nil)
            let asV2 = try await client.json(.GET, Self.v2 + "/ssa")
            #expect(asV2["spec"]?["metrics"]?[0]?["resource"]?["target"]?["averageUtilization"] == 40)
            #expect(asV2["metadata"]?["managedFields"]?[0]?["apiVersion"] == "autoscaling/v1")
        }
    }

    @Test func watchInV1SeesChangesMadeInV2() async throws {
        try await withServer { client in
            let rv = try await client.json(.GET, Self.v1)["metadata"]?["resourceVersion"]?.stringValue ?? "0"
            let events = client.watch(Self.v1, query: [("resourceVersion", rv)])
            let collector = Task { () -> [JSONValue] in
                var seen: [JSONValue] = []
                for try await event in events {
                    seen.append(["type": .string(event.type), "object": event.object])
                    if seen.count == 3 { break }
                }
                return seen
            }
            var created = try await client.json(.POST, Self.v2, body: hpaV2("w"))
            created.setValue(9, at: ["spec", "maxReplicas"])
            _ = try await client.json(.PUT, Self.v2 + "/w", body: created)
            _ = try await client.json(.DELETE, Self.v2 + "/w")
            let seen = try await collector.value
            #expect(seen.map { $0["type"]?.stringValue ?? "" } == ["ADDED", "MODIFIED", "DELETED"])
            #expect(seen.allSatisfy { $0["object"]?["apiVersion"] == "autoscaling/v1" })
            #expect(seen[0]["object"]?["spec"]?["targetCPUUtilizationPercentage"] == 60)
            #expect(seen[1]["object"]?["spec"]?["maxReplicas"] == 9)
        }
    }

    @Test func badV1InputNamesTheV1FieldAndChangesNothing() async throws {
        try await withServer { client in
            let body: JSONValue = ["metadata": ["name": "bad"],
                                   "spec": ["scaleTargetRef": ["kind": "Deployment", "name": "x"], "maxReplicas": 3,
                                            "targetCPUUtilizationPercentage": 0]]
            let response = try await client.send(.POST, Self.v1, body: body.serialized())
            #expect(response.status.code == 422)
            let status = try response.json()
            #expect(status["details"]?["causes"]?[0]?["field"] == "spec.targetCPUUtilizationPercentage", "\(status)")
            #expect(status["details"]?["group"] == "autoscaling" && status["details"]?["kind"] == "HorizontalPodAutoscaler")
            #expect(status["message"]?.stringValue?.contains("spec.targetCPUUtilizationPercentage: Invalid value: 0") == true, "\(status)")
            #expect(try await client.send(.GET, Self.v2 + "/bad").status.code == 404)

            _ = try await client.json(.POST, Self.v1, body: ["metadata": ["name": "ok"],
                                                             "spec": ["scaleTargetRef": ["kind": "Deployment", "name": "x"], "maxReplicas": 3]])
            let patch = try await client.send(.PATCH, Self.v1 + "/ok", body: Array(#"{"spec":{"minReplicas":5}}"#.utf8),
                                              contentType: "application/merge-patch+json")
            #expect(patch.status.code == 422)
            #expect(try patch.json()["details"]?["causes"]?[0]?["field"] == "spec.maxReplicas")
            let typo = try await client.send(.PATCH, Self.v1 + "/ok", body: Array(#"{"spec":{"targetCPUUtilizationPercentage":"high"}}"#.utf8),
                                             contentType: "application/merge-patch+json")
            #expect(typo.status.code == 400)
            #expect(try await client.json(.GET, Self.v1 + "/ok")["spec"]?["minReplicas"] == 1)
        }
    }

    func coreEvent(_ name: String) -> JSONValue {
        ["metadata": ["name": .string(name)], "involvedObject": ["kind": "Pod", "name": "p1", "namespace": "default"],
         "reason": "Started", "message": "started it", "source": ["component": "kubelet", "host": "n1"], "count": 2,
         "firstTimestamp": "2024-05-01T10:00:00Z", "lastTimestamp": "2024-05-01T10:05:00Z", "type": "Normal"]
    }

    func newEvent(_ name: String) -> JSONValue {
        ["apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": ["name": .string(name)],
         "eventTime": "2024-05-01T10:00:00.000000Z", "reportingController": "example.com/ctl", "reportingInstance": "ctl-1",
         "action": "Scale", "reason": "Scaled", "note": "scaled it", "type": "Normal",
         "regarding": ["kind": "Deployment", "name": "d1", "namespace": "default"]]
    }

    @Test func eventsShareOneStorageAcrossGroups() async throws {
        try await withServer { client in
            let core = try await client.json(.POST, Self.coreEvents, body: coreEvent("c1"))
            let seen = try await client.json(.GET, Self.newEvents + "/c1")
            #expect(seen["apiVersion"] == "events.k8s.io/v1")
            #expect(seen["regarding"]?["name"] == "p1" && seen["note"] == "started it")
            #expect(seen["deprecatedSource"]?["component"] == "kubelet" && seen["deprecatedCount"] == 2)
            #expect(seen["deprecatedFirstTimestamp"] == "2024-05-01T10:00:00Z")
            #expect(seen["metadata"]?["uid"] == core["metadata"]?["uid"])
            #expect(seen["metadata"]?["resourceVersion"] == core["metadata"]?["resourceVersion"])

            let created = try await client.json(.POST, Self.newEvents, body: newEvent("n1"))
            #expect(created["note"] == "scaled it" && created["apiVersion"] == "events.k8s.io/v1")
            let asCore = try await client.json(.GET, Self.coreEvents + "/n1")
            #expect(asCore["apiVersion"] == "v1" && asCore["involvedObject"]?["kind"] == "Deployment")
            #expect(asCore["message"] == "scaled it" && asCore["reportingComponent"] == "example.com/ctl")

            let bothCore = try await client.json(.GET, Self.coreEvents)
            #expect(bothCore["items"]?.arrayValue?.count == 2)
            let bothNew = try await client.json(.GET, Self.newEvents)
            #expect(bothNew["items"]?.arrayValue?.compactMap { $0["note"]?.stringValue }.sorted() == ["scaled it", "started it"])

            // Each version selects on its own field names.
            let byRegarding = try await client.json(.GET, Self.newEvents, query: [("fieldSelector", "regarding.name=d1")])
            #expect(byRegarding["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } == ["n1"])
            let byController = try await client.json(.GET, Self.newEvents, query: [("fieldSelector", "reportingController=example.com/ctl")])
            #expect(byController["items"]?.arrayValue?.count == 1)
            let byInvolved = try await client.json(.GET, Self.coreEvents, query: [("fieldSelector", "involvedObject.name=p1")])
            #expect(byInvolved["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } == ["c1"])
            let bySource = try await client.json(.GET, Self.coreEvents, query: [("fieldSelector", "source=example.com/ctl")])
            #expect(bySource["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } == ["n1"])
            let wrongName = try await client.send(.GET, Self.newEvents, query: [("fieldSelector", "involvedObject.name=p1")])
            #expect(wrongName.status.code == 400)

            // Patched through core, read through events.k8s.io.
            _ = try await client.json(.PATCH, Self.coreEvents + "/n1", body: ["message": "changed"],
                                      contentType: "application/strategic-merge-patch+json")
            #expect(try await client.json(.GET, Self.newEvents + "/n1")["note"] == "changed")
            _ = try await client.json(.PATCH, Self.newEvents + "/c1", body: ["note": "renamed"], contentType: "application/merge-patch+json")
            #expect(try await client.json(.GET, Self.coreEvents + "/c1")["message"] == "renamed")
        }
    }

    @Test func eventsWatchedInCoreIncludeNewAPIWrites() async throws {
        try await withServer { client in
            let events = client.watch(Self.coreEvents, query: [("resourceVersion", "0"), ("fieldSelector", "involvedObject.kind=Deployment")])
            let first = Task { () -> JSONValue? in
                for try await event in events { return event.object }
                return nil
            }
            _ = try await client.json(.POST, Self.coreEvents, body: coreEvent("skip"))
            _ = try await client.json(.POST, Self.newEvents, body: newEvent("w1"))
            let object = try await first.value
            #expect(object?["apiVersion"] == "v1" && object?["metadata"]?["name"] == "w1" && object?["message"] == "scaled it")

            let newWatch = client.watch(Self.newEvents, query: [("resourceVersion", "0"), ("fieldSelector", "regarding.kind=Pod")])
            let pods = Task { () -> JSONValue? in
                for try await event in newWatch { return event.object }
                return nil
            }
            let podEvent = try await pods.value
            #expect(podEvent?["metadata"]?["name"] == "skip" && podEvent?["regarding"]?["kind"] == "Pod")
        }
    }

    @Test func badEventsV1InputNamesItsFields() async throws {
        try await withServer { client in
            var body = newEvent("bad")
            body["eventTime"] = nil
            body["deprecatedCount"] = 4
            let response = try await client.send(.POST, Self.newEvents, body: body.serialized())
            #expect(response.status.code == 422)
            let status = try response.json()
            let fields = status["details"]?["causes"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? []
            #expect(fields.contains("eventTime") && fields.contains("deprecatedCount"), "\(status)")
            #expect(status["details"]?["group"] == "events.k8s.io")
            #expect(try await client.send(.GET, Self.coreEvents + "/bad").status.code == 404)
        }
    }

    @Test func discoveryListsBothVersionsWithOneStorageHash() async throws {
        try await withServer { client in
            let group = try await client.json(.GET, "/apis/autoscaling")
            #expect(group["versions"]?.arrayValue?.compactMap { $0["version"]?.stringValue } == ["v2", "v1"])
            #expect(group["preferredVersion"]?["version"] == "v2")
            let v1 = try await client.json(.GET, "/apis/autoscaling/v1")
            let v2 = try await client.json(.GET, "/apis/autoscaling/v2")
            func hpa(_ list: JSONValue) -> JSONValue? {
                list["resources"]?.arrayValue?.first { $0["name"] == "horizontalpodautoscalers" }
            }
            #expect(hpa(v1)?["storageVersionHash"] != nil)
            #expect(hpa(v1)?["storageVersionHash"] == hpa(v2)?["storageVersionHash"])
            let response = try await client.send(.GET, "/apis",
                                                 accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
            let aggregated = try response.json()
            let autoscaling = aggregated["items"]?.arrayValue?.first { $0["metadata"]?["name"] == "autoscaling" }
            #expect(autoscaling?["versions"]?.arrayValue?.compactMap { $0["version"]?.stringValue } == ["v2", "v1"])
            let events = aggregated["items"]?.arrayValue?.first { $0["metadata"]?["name"] == "events.k8s.io" }
            #expect(events?["versions"]?[0]?["resources"]?[0]?["resource"] == "events")
        }
    }
}
