import Foundation
import SkiffAPI
import SkiffClient
import SkiffTesting
import Testing

/// The events the process kubelet records, read back as `kubectl get events` lists them: reasons, messages,
/// source and the container they are about, as upstream's kubelet records them.
@Suite(.serialized) struct ProcessKubeletEventsTests {
    typealias Harness = ProcessKubeletTests.Harness

    /// The pod's events by reason (the involved object's name is the pod's).
    func events(_ h: Harness, pod: String) async throws -> [String: JSONValue] {
        let list = try await h.client.json(.GET, "/api/v1/namespaces/default/events")
        let items = (list["items"]?.arrayValue ?? []).filter { $0["involvedObject"]?["name"]?.stringValue == pod }
        return Dictionary(items.map { ($0["reason"]?.stringValue ?? "", $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The messages of the pod's events with `reason` (there are several `Failed` ones).
    func messages(_ h: Harness, pod: String, reason: String) async throws -> [String] {
        let list = try await h.client.json(.GET, "/api/v1/namespaces/default/events")
        return (list["items"]?.arrayValue ?? [])
            .filter { $0["involvedObject"]?["name"]?.stringValue == pod && $0["reason"]?.stringValue == reason }
            .compactMap { $0["message"]?.stringValue }
    }

    /// Waits until the pod has an event with `reason`, and returns it.
    func event(_ h: Harness, pod: String, reason: String, timeout: Duration = .seconds(30)) async throws -> JSONValue? {
        _ = await waitUntil(timeout: timeout) { try await events(h, pod: pod)[reason] != nil }
        return try await events(h, pod: pod)[reason]
    }

    @Test func aStartedPodHasPulledCreatedStartedAndADeletedOneKilling() async throws {
        let h = try await ProcessKubeletTests().start()
        try await h.create("web", containers: [ProcessKubeletTests.container("c", "sleep 3600")])
        #expect(await waitUntil { try await h.pod("web")["status"]?["phase"] == "Running" })
        let uid = try await h.pod("web")["metadata"]?["uid"]
        let pulled = try await event(h, pod: "web", reason: "Pulled")
        #expect(pulled?["message"] == "Container image \"busybox\" already present on machine")
        #expect(pulled?["type"] == "Normal")
        #expect(pulled?["source"] == ["component": "kubelet", "host": "proc-node"])
        #expect(pulled?["involvedObject"]?["kind"] == "Pod")
        #expect(pulled?["involvedObject"]?["uid"] == uid)
        #expect(pulled?["involvedObject"]?["fieldPath"] == "spec.containers{c}")
        #expect(try await event(h, pod: "web", reason: "Created")?["message"] == "Created container: c")
        #expect(try await event(h, pod: "web", reason: "Started")?["message"] == "Started container c")

        _ = try await h.client.json(.DELETE, "/api/v1/namespaces/default/pods/web")
        let killing = try await event(h, pod: "web", reason: "Killing")
        #expect(killing?["message"] == "Stopping container c")
        #expect(killing?["type"] == "Normal")
        #expect(killing?["involvedObject"]?["fieldPath"] == "spec.containers{c}")
        #expect(await waitUntil { do { _ = try await h.pod("web"); return false } catch { return true } })
        await h.stop()
    }

    @Test func aCrashLoopingPodHasBackOffAndCountedRepeats() async throws {
        let h = try await ProcessKubeletTests().start()
        try await h.create("crash", containers: [ProcessKubeletTests.container("c", "exit 1")])
        let uid = try await h.pod("crash")["metadata"]?["uid"]?.stringValue ?? ""
        let backOff = try await event(h, pod: "crash", reason: "BackOff")
        #expect(backOff?["type"] == "Warning")
        #expect(backOff?["message"] == .string("Back-off restarting failed container c in pod crash_default(\(uid))"))
        // The immediate first restart started it twice: one event, counted.
        let started = try await event(h, pod: "crash", reason: "Started")
        #expect((started?["count"]?.intValue ?? 0) >= 2)
        _ = try await h.client.json(.DELETE, "/api/v1/namespaces/default/pods/crash")
        #expect(await waitUntil { do { _ = try await h.pod("crash"); return false } catch { return true } })
        await h.stop()
    }

    @Test func aMissingImageHasFailedAndErrImageNeverPullOrImagePullBackOff() async throws {
        let h = try await ProcessKubeletTests().start()
        try await h.create("never", containers: [ProcessKubeletTests.container("c", "true", image: "nothere:1.0")])
        try await h.create("pull", containers: [[
            "name": "c", "image": "nothere:2.0", "command": ["true"], "imagePullPolicy": "IfNotPresent",
        ]])
        let neverPull = try await event(h, pod: "never", reason: "ErrImageNeverPull")
        #expect(neverPull?["type"] == "Warning")
        #expect(neverPull?["message"] == "Container image \"nothere:1.0\" is not present with pull policy of Never")
        #expect(try await event(h, pod: "never", reason: "Failed")?["message"] == "Error: ErrImageNeverPull")

        // A failing pull: ErrImagePull, then ImagePullBackOff half-way through the 10 s back-off.
        #expect(await waitUntil { try await h.status("pull")?["state"]?["waiting"]?["reason"] == "ErrImagePull" })
        let failures = { () async throws -> [String] in try await messages(h, pod: "pull", reason: "Failed") }
        #expect(await waitUntil { try await failures().contains("Error: ErrImagePull") })
        #expect(try await failures().contains { $0.hasPrefix("Failed to pull image \"nothere:2.0\": ") })
        #expect(await waitUntil(timeout: .seconds(15)) {
            try await h.status("pull")?["state"]?["waiting"] == ["reason": "ImagePullBackOff",
                                                                   "message": "Back-off pulling image \"nothere:2.0\""]
        })
        #expect(try await event(h, pod: "pull", reason: "BackOff")?["message"] == "Back-off pulling image \"nothere:2.0\"")
        #expect(try await failures().contains("Error: ImagePullBackOff"))
        await h.stop()
    }
}
