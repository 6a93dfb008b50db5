import Logging
import SkiffAPI
import SkiffClient
import SkiffTesting
import Testing
@testable import SkiffScheduler

@Suite struct SchedulerIntegrationTests {
    func nodeJSON(_ name: String, zone: String) -> JSONValue {
        let resources: JSONValue = ["cpu": "2", "memory": "4Gi", "pods": "110"]
        return ["apiVersion": "v1", "kind": "Node",
                "metadata": ["name": .string(name), "labels": ["zone": .string(zone)]],
                "status": ["capacity": resources, "allocatable": resources]]
    }

    func podJSON(_ name: String, cpu: String, selector: JSONValue? = nil, owner: String? = nil) -> JSONValue {
        var spec: JSONValue = ["containers": [["name": "c", "image": "nginx", "resources": ["requests": ["cpu": .string(cpu)]]]]]
        if let selector { spec["nodeSelector"] = selector }
        var metadata: JSONValue = ["name": .string(name)]
        if let owner {
            metadata["ownerReferences"] = [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs",
                                             "uid": .string(owner), "controller": true]]
        }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec]
    }

    @Test func bindsSpreadsHonoursSelectorsAndReportsFailures() async throws {
        let server = try await TestAPIServer()
        let client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: server.kubeconfig.path))
        var logger = Logger(label: "test.scheduler")
        logger.logLevel = .warning
        let scheduler = Scheduler(client: client, logger: logger)
        let running = Task { try await scheduler.run() }
        defer { running.cancel() }

        for (i, zone) in ["a", "b", "c"].enumerated() {
            let created = try await client.json(.POST, "/api/v1/nodes", body: nodeJSON("node-\(i)", zone: zone))
            if created["status"]?["allocatable"] == nil {
                _ = try await client.json(.PATCH, "/api/v1/nodes/node-\(i)/status", body: ["status": nodeJSON("n", zone: zone)["status"] ?? .null],
                                          contentType: "application/merge-patch+json")
            }
        }
        let pods = "/api/v1/namespaces/default/pods"
        for i in 0..<3 { _ = try await client.json(.POST, pods, body: podJSON("web-\(i)", cpu: "500m", owner: "rs-uid")) }
        _ = try await client.json(.POST, pods, body: podJSON("pinned", cpu: "100m", selector: ["zone": "b"]))
        _ = try await client.json(.POST, pods, body: podJSON("huge", cpu: "3"))

        func nodeOf(_ name: String) async throws -> String? {
            try await client.json(.GET, "\(pods)/\(name)")["spec"]?["nodeName"]?.stringValue
        }
        var placements: [String: String] = [:]
        var failedEvent: String?
        for _ in 0..<500 {
            for name in ["web-0", "web-1", "web-2", "pinned"] where placements[name] == nil {
                if let node = try await nodeOf(name) { placements[name] = node }
            }
            let events = try await client.json(.GET, "/api/v1/namespaces/default/events")["items"]?.arrayValue ?? []
            failedEvent = events.first { $0["reason"]?.stringValue == "FailedScheduling"
                && $0["involvedObject"]?["name"]?.stringValue == "huge" }?["message"]?.stringValue
            if placements.count == 4 && failedEvent != nil { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(Set(["web-0", "web-1", "web-2"].compactMap { placements[$0] }) == ["node-0", "node-1", "node-2"])
        #expect(placements["pinned"] == "node-1")
        #expect(try await nodeOf("huge") == nil)
        #expect(failedEvent?.hasPrefix("0/3 nodes are available: 3 Insufficient cpu.") == true)
        let huge = try await client.json(.GET, "\(pods)/huge")
        let condition = huge["status"]?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "PodScheduled" }
        #expect(condition?["status"]?.stringValue == "False")
        #expect(condition?["reason"]?.stringValue == "Unschedulable")
        let events = try await client.json(.GET, "/api/v1/namespaces/default/events")["items"]?.arrayValue ?? []
        #expect(events.contains { $0["reason"]?.stringValue == "Scheduled"
            && $0["message"]?.stringValue?.hasPrefix("Successfully assigned default/web-0 to node-") == true })

        running.cancel()
        _ = try? await running.value
        try await client.shutdown()
        await server.stop()
    }
}
