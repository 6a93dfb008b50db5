import Foundation

/// The pod network: the CNI `bridge` plugin with `host-local` addresses from the node's pod range, executed
/// as the CNI spec says (config on stdin, `CNI_COMMAND`/`CNI_NETNS`/… in the environment). Each pod is
/// one CNI container (its uid) with `eth0` in its network namespace; the gateway is the bridge.
struct CNINetwork: Sendable {
    static let defaultPluginDirectory = "/usr/lib/cni"

    var podCIDR: String
    var pluginDirectory: String
    /// `host-local`'s allocations (one file per address), under `DATA_DIR`.
    var ipamDirectory: URL
    var bridge: String

    init(podCIDR: String, pluginDirectory: String = CNINetwork.defaultPluginDirectory, ipamDirectory: URL) {
        self.podCIDR = podCIDR
        self.pluginDirectory = pluginDirectory
        self.ipamDirectory = ipamDirectory
        bridge = Self.bridgeName(podCIDR: podCIDR)
    }

    /// One bridge per pod range, as the bridge plugin keeps one gateway address per bridge:
    /// `10.244.X.0/24` → `skiffX`.
    static func bridgeName(podCIDR: String) -> String {
        let octets = podCIDR.split(separator: "/").first?.split(separator: ".") ?? []
        return octets.count == 4 && octets[2].allSatisfy(\.isNumber) ? "skiff\(octets[2])" : "skiff0"
    }

    var configuration: Data {
        let config: [String: Any] = [
            "cniVersion": "1.0.0", "name": "skiff", "type": "bridge", "bridge": bridge, "isGateway": true,
            // Masquerading is one node-wide rule (`ensureMasquerade`), not the plugin's per-pod chain: the
            // plugin's iptables calls were more than half of a pod's network set-up time.
            "hairpinMode": true,
            "ipam": [
                "type": "host-local", "ranges": [[["subnet": podCIDR]]], "routes": [["dst": "0.0.0.0/0"]],
                "dataDir": ipamDirectory.path,
            ] as [String: Any],
        ]
        return (try? JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])) ?? Data()
    }

    /// Traffic from pods to outside their range leaves with the node's address: one `MASQUERADE` rule for the
    /// whole range, added once (kept across restarts, as the bridge is). Without iptables pods still get
    /// addresses and reach each other and the node; the reason is returned to be logged.
    func ensureMasquerade() -> String? {
        guard let iptables = ["/usr/sbin/iptables", "/sbin/iptables", "/usr/bin/iptables"]
            .first(where: FileManager.default.isExecutableFile(atPath:)) else { return "iptables is not installed" }
        let rule = ["POSTROUTING", "-s", podCIDR, "!", "-d", podCIDR, "-m", "comment", "--comment", "skiff pod range",
                    "-j", "MASQUERADE"]
        if let check = try? HostCommand.run(iptables, ["-t", "nat", "-C"] + rule), check.succeeded { return nil }
        guard let added = try? HostCommand.run(iptables, ["-t", "nat", "-A"] + rule) else { return "iptables could not be run" }
        return added.succeeded ? nil : "iptables: \(added.message)"
    }

    /// Attaches the namespace to the bridge; returns the pod's IPv4 address.
    func add(podUID: String, netns: String) throws -> String {
        let result = try invoke("ADD", podUID: podUID, netns: netns)
        guard result.succeeded else {
            throw ContainerRuntimeError(reason: "RunContainerError",
                                        message: "CNI bridge ADD for pod \(podUID) failed: \(Self.pluginError(result))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: result.stdout) as? [String: Any],
              let ips = object["ips"] as? [[String: Any]],
              let address = ips.compactMap({ $0["address"] as? String }).first(where: { !$0.contains(":") }),
              let ip = address.split(separator: "/").first else {
            throw ContainerRuntimeError(reason: "RunContainerError",
                                        message: "CNI bridge ADD for pod \(podUID) returned no IPv4 address: \(result.message)")
        }
        return String(ip)
    }

    /// Detaches the pod and releases its address; a pod never attached is fine.
    func delete(podUID: String, netns: String) {
        _ = try? invoke("DEL", podUID: podUID, netns: netns)
    }

    private func invoke(_ command: String, podUID: String, netns: String) throws -> HostCommand.Result {
        let plugin = pluginDirectory + "/bridge"
        guard FileManager.default.isExecutableFile(atPath: plugin) else {
            throw ContainerRuntimeError(reason: "RunContainerError",
                                        message: "the CNI bridge plugin is not installed at \(plugin) (containernetworking-plugins)")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["CNI_COMMAND"] = command
        environment["CNI_CONTAINERID"] = podUID
        environment["CNI_NETNS"] = netns
        environment["CNI_IFNAME"] = "eth0"
        environment["CNI_PATH"] = pluginDirectory
        return try HostCommand.run(plugin, [], environment: environment, input: configuration)
    }

    /// A plugin reports errors as JSON on stdout (`{"code":…,"msg":…,"details":…}`).
    static func pluginError(_ result: HostCommand.Result) -> String {
        if let object = try? JSONSerialization.jsonObject(with: result.stdout) as? [String: Any],
           let message = object["msg"] as? String {
            let details = (object["details"] as? String).map { ": \($0)" } ?? ""
            return message + details
        }
        return result.message.isEmpty ? "exit status \(result.status)" : result.message
    }
}
