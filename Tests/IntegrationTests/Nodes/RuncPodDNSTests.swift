import Foundation
import Logging
import SkiffAPI
import SkiffClient
import SkiffImages
import SkiffKubelet
import SkiffTesting
import Testing

/// Pod DNS end to end: pods from the API server, run by the kubelet on real runc containers, read the
/// `/etc/resolv.conf` their `dnsPolicy` gives them. Part of `RuncRuntimeTests`, whose tests run one at a time.
extension RuncRuntimeTests {
    @Test func podsReadTheResolvConfTheirDNSPolicyGivesThem() async throws {
        guard Self.available() else { return }
        // Not a `Fixture`: its collector would take the exits the kubelet waits for.
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-runc-dns-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: base) }
        let data = base.appendingPathComponent("data"), layer = base.appendingPathComponent("layer")
        try Fixture.makeBusyboxLayer(at: layer)
        var options = ImportOptions(tag: try ImageReference(parsing: "busybox"))
        options.cmd = ["sh"]
        _ = try ImageStore(dataDirectory: data).importImage(from: layer, options: options)
        // The node's resolver file, as `--resolv-conf` names it.
        let nodeResolv = base.appendingPathComponent("resolv.conf")
        try "# the node's\nnameserver 192.0.2.53\nsearch corp.example.\noptions timeout:1\n"
            .write(to: nodeResolv, atomically: true, encoding: .utf8)

        let server = try await TestAPIServer()
        let client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: server.kubeconfig.path))
        var configuration = Kubelet.Configuration(nodeName: "dns-node", dataDirectory: data)
        configuration.clusterDNS = ["10.96.0.10"]
        configuration.clusterDomain = "cluster.local"
        configuration.resolvConf = nodeResolv.path
        configuration.heartbeatInterval = .seconds(1)
        let runtime = try RuncRuntime(dataDirectory: data, podCIDR: Self.podCIDR)
        let kubelet = Kubelet(client: client, configuration: configuration, runtime: runtime, logger: Logger(label: "test.kubelet"))
        let task = Task { try await kubelet.run() }
        func stop() async {
            // The kubelet's shutdown stops its containers and removes its sandboxes.
            task.cancel()
            _ = try? await task.value
            try? await client.shutdown()
            await server.stop()
            #expect(Self.mounts(under: base) == [])
        }

        do {
            _ = try await client.json(.POST, "/api/v1/namespaces", body: ["metadata": ["name": "dns-ns"]])
            func run(_ name: String, _ extra: JSONObject) async throws -> [String] {
                var spec: JSONObject = ["nodeName": "dns-node", "restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                                        "containers": [["name": "c", "image": "busybox", "imagePullPolicy": "Never",
                                                        "command": ["cat", "/etc/resolv.conf"]]]]
                for (key, value) in extra { spec[key] = value }
                let created = try await client.json(.POST, "/api/v1/namespaces/dns-ns/pods",
                                                    body: ["metadata": ["name": .string(name)], "spec": .object(spec)])
                let done = await waitUntil(timeout: .seconds(60)) {
                    try await client.json(.GET, "/api/v1/namespaces/dns-ns/pods/\(name)")["status"]?["phase"] == "Succeeded"
                }
                #expect(done, "pod \(name) did not complete")
                let uid = created["metadata"]?["uid"]?.stringValue ?? ""
                let log = (try? String(contentsOf: runtime.logFile(podUID: uid, container: "c", restartCount: 0), encoding: .utf8)) ?? ""
                // CRI log lines: `<time> stdout F <text>`.
                return log.split(separator: "\n").map { String($0.split(separator: " ", maxSplits: 3).last ?? "") }
            }

            #expect(try await run("cluster", [:]) == [
                "nameserver 10.96.0.10",
                "search dns-ns.svc.cluster.local svc.cluster.local cluster.local corp.example",
                "options ndots:5",
            ])
            let custom: JSONObject = ["dnsPolicy": "None", "dnsConfig": [
                "nameservers": ["1.1.1.1"], "searches": ["a.example"], "options": [["name": "ndots", "value": "1"], ["name": "edns0"]],
            ]]
            #expect(try await run("custom", custom) == ["nameserver 1.1.1.1", "search a.example", "options ndots:1 edns0"])
            // ClusterFirst on the node's network is the node's resolver configuration, rewritten.
            #expect(try await run("hostnet", ["hostNetwork": true])
                    == ["nameserver 192.0.2.53", "search corp.example", "options timeout:1"])
            let withHostNet: JSONObject = ["hostNetwork": true, "dnsPolicy": "ClusterFirstWithHostNet",
                                           "dnsConfig": ["options": [["name": "ndots", "value": "2"]]]]
            #expect(try await run("withhostnet", withHostNet) == [
                "nameserver 10.96.0.10",
                "search dns-ns.svc.cluster.local svc.cluster.local cluster.local corp.example",
                "options ndots:2",
            ])
        } catch {
            await stop()
            throw error
        }
        await stop()
    }
}
