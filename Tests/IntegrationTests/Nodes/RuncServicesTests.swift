import Foundation
import SkiffImages
import SkiffKubelet
import SkiffTesting
import Testing

/// Services through the real binary on a runc node, driven by the real kubectl (the ground of acceptance
/// 04): endpoints follow the pods, the ClusterIP answers from the host and from a pod, names resolve through
/// the cluster DNS, and a Service without endpoints is refused at once. Afterwards `skiff proxy --cleanup`
/// leaves the host's nftables as it was. Part of `RuncKubectlTests`, whose tests run one at a time: two runc
/// servers on one host would share pod addresses, the kubelet port and the DNS port.
extension RuncKubectlTests {
    /// As the acceptance scripts' `guard_cluster_ranges`: nothing for the cluster's ranges leaves through the
    /// default route while the test runs.
    static func guardClusterRanges() async -> [[String]] {
        guard let route = try? await Kubectl.runProcess("/usr/sbin/ip", ["route", "show", "default"]).stdout,
              let device = route.split(separator: " ").split(separator: "dev").dropFirst().first?.first.map(String.init)
        else { return [] }
        var rules: [[String]] = []
        for chain in ["OUTPUT", "FORWARD"] {
            for range in ["10.244.0.0/16", "10.96.0.0/12"] {
                let rule = [chain, "-o", device, "-d", range, "-m", "comment", "--comment", "skiff-test-guard", "-j", "DROP"]
                if (try? await Kubectl.runProcess("/usr/sbin/iptables", ["-I"] + rule))?.status == 0 { rules.append(rule) }
            }
        }
        return rules
    }

    @Test func servicesCarryTrafficAndNamesResolve() async throws {
        guard RuncRuntimeTests.available(), FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft") else {
            #expect(ProcessInfo.processInfo.environment["CI"] != "true", "runc and nft are required in CI")
            return
        }
        guard let binary = Kubectl.locate(), let skiff = SkiffProcess.locate() else {
            #expect(!Kubectl.isRequired, "kubectl is required in CI")
            return
        }
        let guards = await Self.guardClusterRanges()
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-runc-services-\(UUID().uuidString.prefix(8))")
        let rootfs = base.appendingPathComponent("rootfs")
        try RuncRuntimeTests.Fixture.makeBusyboxLayer(at: rootfs)
        let data = base.appendingPathComponent("data")
        var options = ImportOptions(tag: try ImageReference(parsing: "busybox"))
        options.cmd = ["sh"]
        _ = try ImageStore(dataDirectory: data).importImage(from: rootfs, options: options)
        let server = try SkiffProcess(["server", "--data-dir", data.path, "--port", String(ProcessRuntimeKubectlTests.freePort()),
                                       "--runtime", "runc", "--node-name", "svc"])
        let kubectl = Kubectl(binary: binary, kubeconfig: data.appendingPathComponent("kubeconfig.yaml"))
        do {
            try await exercise(kubectl, server: server)
        } catch {
            Issue.record(error, "server log: \(server.log)")
        }
        _ = await server.stop()
        _ = try? await Kubectl.runProcess(skiff, ["proxy", "--cleanup"])
        for rule in guards { _ = try? await Kubectl.runProcess("/usr/sbin/iptables", ["-D"] + rule) }
        try? FileManager.default.removeItem(at: base)
    }

    func exercise(_ kubectl: Kubectl, server: SkiffProcess) async throws {
        let ready = await waitUntil(timeout: .seconds(60)) {
            try await kubectl.run("get", "nodes", "--no-headers").stdout.contains(" Ready")
        }
        #expect(ready, "server log: \(server.log)")
        #expect(try await kubectl.run("get", "service", "kube-dns", "-n", "kube-system", "-o", "jsonpath={.spec.clusterIP}")
            .stdout == "10.96.0.10")
        let created = try await kubectl.run("create", "deployment", "web", "--image=busybox", "--replicas=2", "--port=8080", "--",
                                            "sh", "-c", "mkdir -p /www; hostname > /www/index.html; exec httpd -f -p 8080 -h /www")
        #expect(created.succeeded, "\(created)")
        _ = try await kubectl.run("patch", "deployment", "web", "--type=json",
                                  "-p", #"[{"op":"add","path":"/spec/template/spec/containers/0/imagePullPolicy","value":"Never"}]"#)
        #expect(try await kubectl.run("expose", "deployment", "web", "--port=80", "--target-port=8080").succeeded)
        let endpoints = await waitUntil(timeout: .seconds(90)) {
            let ips = try await kubectl.run("get", "endpoints", "web", "-o", "jsonpath={.subsets[0].addresses[*].ip}").stdout
            return ips.split(separator: " ").count == 2
        }
        #expect(endpoints, "server log: \(server.log)")
        let ip = try await kubectl.run("get", "service", "web", "-o", "jsonpath={.spec.clusterIP}").stdout
        let fromHost = await waitUntil(timeout: .seconds(20)) {
            try await Kubectl.runProcess("/usr/bin/timeout", ["3", "/usr/bin/busybox", "wget", "-qO-", "http://\(ip)/"])
                .stdout.hasPrefix("web-")
        }
        #expect(fromHost, "the ClusterIP \(ip) does not answer from the host")

        let client = try await kubectl.run("run", "client", "--image=busybox", "--image-pull-policy=Never", "--", "sleep", "3600")
        #expect(client.succeeded, "\(client)")
        let running = await waitUntil(timeout: .seconds(60)) {
            try await kubectl.run("get", "pod", "client", "-o", "jsonpath={.status.phase}").stdout == "Running"
        }
        #expect(running)
        let byName = await waitUntil(timeout: .seconds(20)) {
            try await kubectl.run("exec", "client", "--", "timeout", "3", "wget", "-qO-", "http://web/").stdout.hasPrefix("web-")
        }
        #expect(byName, "the Service's name does not answer from a pod")
        let lookup = try await kubectl.run("exec", "client", "--", "nslookup", "web.default.svc.cluster.local")
        #expect(lookup.stdout.contains(ip), "\(lookup)")
        let resolv = try await kubectl.run("exec", "client", "--", "cat", "/etc/resolv.conf").stdout
        #expect(resolv.contains("nameserver 10.96.0.10") && resolv.contains("search default.svc.cluster.local svc.cluster.local cluster.local"),
                "\(resolv)")

        _ = try await kubectl.run("scale", "deployment", "web", "--replicas=0")
        let refused = await waitUntil(timeout: .seconds(60)) {
            let answer = try await Kubectl.runProcess("/usr/bin/timeout", ["3", "/usr/bin/busybox", "wget", "-qO-", "http://\(ip)/"])
            return answer.stderr.contains("refused")
        }
        #expect(refused, "a Service without endpoints is not refused")
    }
}
