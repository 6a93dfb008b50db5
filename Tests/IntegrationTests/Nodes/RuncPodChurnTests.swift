import Foundation
import SkiffAPI
import SkiffClient
import SkiffImages
import SkiffKubelet
import SkiffTesting
import Testing

/// Pods created and deleted at random moments of their start, as clients that create and clean up quickly
/// do: with real runc, every one must leave nothing behind (container, process, mount, cgroup, veth, address,
/// directory) and no misleading event. Part of `RuncKubectlTests`, whose tests run one at a time: two runc
/// servers on one host would hand out the same pod addresses.
extension RuncKubectlTests {
    static let churnPods = 120

    @Test func podsDeletedWhileStartingLeaveNothingBehind() async throws {
        guard RuncRuntimeTests.available() else { return }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-churn-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: base) }
        let rootfs = base.appendingPathComponent("rootfs")
        try RuncRuntimeTests.Fixture.makeBusyboxLayer(at: rootfs)
        let data = base.appendingPathComponent("data")
        var options = ImportOptions(tag: try ImageReference(parsing: "busybox"))
        options.cmd = ["sh"]
        _ = try ImageStore(dataDirectory: data).importImage(from: rootfs, options: options)
        let server = try SkiffProcess(["server", "--data-dir", data.path, "--port", String(ProcessRuntimeKubectlTests.freePort()),
                                       "--runtime", "runc", "--node-name", "churn", "--disable-proxy", "--disable-cluster-dns",
                                       "--kubelet-port", String(ProcessRuntimeKubectlTests.freePort())])
        let kubeconfig = data.appendingPathComponent("kubeconfig.yaml")
        #expect(await waitUntil(timeout: .seconds(60)) { FileManager.default.fileExists(atPath: kubeconfig.path) })
        let client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: kubeconfig.path))
        let ready = await waitUntil(timeout: .seconds(60)) {
            let node = try await client.json(.GET, "/api/v1/nodes/churn")
            return node["status"]?["conditions"]?.arrayValue?.contains {
                $0["type"] == "Ready" && $0["status"] == "True"
            } == true
        }
        #expect(ready, "server log: \(server.log)")

        // Each pod is deleted 0–300 ms after its create: before scheduling, while its sandbox is made, while
        // runc creates its container, or once it runs. Half are deleted at once (grace 0: the object goes
        // first), half with a grace period (the kubelet stops the container, then deletes the object).
        var uids: [String] = []
        // This run's own duration, so a process another run left behind is never counted as ours.
        let seconds = String(Int.random(in: 3000...3999))
        try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<Self.churnPods {
                if i >= 8 { uids.append(try await group.next() ?? "") }
                group.addTask {
                    let name = "churn-\(i)"
                    let created = try await client.json(.POST, "/api/v1/namespaces/default/pods", body: [
                        "metadata": ["name": .string(name)],
                        // The node's resolvers: this server runs no cluster DNS, and ClusterFirst would rightly warn.
                        "spec": ["terminationGracePeriodSeconds": 1, "dnsPolicy": "Default",
                                 "containers": [["name": "c", "image": "busybox", "imagePullPolicy": "Never",
                                                 "command": ["sleep", .string(seconds)]]]],
                    ])
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0...300)))
                    let grace = i % 2 == 0 ? "0" : "1"
                    _ = try await client.send(.DELETE, "/api/v1/namespaces/default/pods/\(name)",
                                              query: [("gracePeriodSeconds", grace)])
                    return created["metadata"]?["uid"]?.stringValue ?? ""
                }
            }
            while let uid = try await group.next() { uids.append(uid) }
        }
        #expect(uids.count == Self.churnPods)

        let gone = await waitUntil(timeout: .seconds(120)) {
            try await client.json(.GET, "/api/v1/namespaces/default/pods")["items"]?.arrayValue?.isEmpty == true
        }
        #expect(gone, "pods are still there; server log: \(server.log.suffix(4000))")
        // The node has finished its teardowns once nothing of any pod is left; wait for that, then check each part.
        let pods = data.appendingPathComponent("pods")
        let runPods = data.appendingPathComponent("run/pods")
        let ipam = data.appendingPathComponent("cni/ipam/skiff")
        func entries(_ directory: URL) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasPrefix(".") }
        }
        func addresses() -> [String] { entries(ipam).filter { $0.hasPrefix("10.244.") } }
        let clean = await waitUntil(timeout: .seconds(60)) {
            try await RuncRuntimeTests.runcList(data) == "" && entries(pods).isEmpty && entries(runPods).isEmpty
                && addresses().isEmpty && RuncRuntimeTests.podMounts(under: data).isEmpty
        }
        let runcLeft = try await RuncRuntimeTests.runcList(data)
        let leftMounts = RuncRuntimeTests.podMounts(under: data)
        #expect(clean, "left: runc \(runcLeft), pods \(entries(pods)), run \(entries(runPods)), addresses \(addresses()), mounts \(leftMounts)")
        for uid in uids {
            #expect(try await RuncRuntimeTests.cgroupDirectories(podUID: uid) == [], "cgroups of \(uid)")
            #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(RuncRuntimeTests.hostInterface(uid))"), "veth of \(uid)")
        }
        let sleeping = try await Kubectl.runProcess("/usr/bin/pgrep", ["-f", "^sleep \(seconds)$"])
        #expect(sleeping.stdout.isEmpty, "sleep processes left: \(sleeping.stdout)")

        // Nothing went wrong that a user would be told about: no failed sandbox, no runtime error.
        let events = try await client.json(.GET, "/api/v1/namespaces/default/events")["items"]?.arrayValue ?? []
        let warnings = events.filter { $0["type"] == "Warning" }.map {
            "\($0["reason"]?.stringValue ?? ""): \($0["message"]?.stringValue ?? "")"
        }
        #expect(warnings.isEmpty, "\(warnings.prefix(10))")
        try await client.shutdown()
        _ = await server.stop()
    }
}
