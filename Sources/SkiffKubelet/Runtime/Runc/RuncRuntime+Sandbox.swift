import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Pod sandboxes: no process per pod, only namespace files (`SandboxNamespaces`) that keep the pod's
/// network, IPC and UTS namespaces alive, with `eth0` on the node's bridge (`BridgeNetwork`).
extension RuncRuntime {
    public func preparePod(_ config: PodSandboxConfig) throws -> PodSandbox {
        let directory = podDirectory(uid: config.uid)
        if let existing = state.withLock({ $0.sandboxes[config.uid] }) {
            return PodSandbox(directory: directory, ip: existing.ip)
        }
        let ns = podStateDirectory(uid: config.uid).appendingPathComponent("ns")
        let etc = podStateDirectory(uid: config.uid).appendingPathComponent("etc")
        try HostFiles.makeDirectories(ns.path)
        try HostFiles.makeDirectories(etc.path)
        var ip: String?
        do {
            ip = try makeNamespaces(config, in: ns).map(IPv4Subnet.format)
            try writeEtcFiles(config, ip: ip, into: etc)
        } catch {
            if !config.hostNetwork { network?.detach(podUID: config.uid, address: ip.flatMap(IPv4Subnet.parse)) }
            HostMounts.unmountAll(under: ns.path)
            try? FileManager.default.removeItem(at: ns)
            throw error
        }
        state.withLock { $0.sandboxes[config.uid] = Sandbox(config: config, ip: ip) }
        logger.debug("sandbox ready", metadata: ["pod": "\(config.uid)", "ip": "\(ip ?? "host")"])
        return PodSandbox(directory: directory, ip: ip)
    }

    /// The namespace files, and the pod's address on the bridge when the node has a pod range.
    private func makeNamespaces(_ config: PodSandboxConfig, in ns: URL) throws -> UInt32? {
        let kinds = config.hostNetwork ? ["ipc"] : ["net", "ipc", "uts"]
        for kind in kinds {
            let file = ns.appendingPathComponent(kind).path
            // A leftover bind from an earlier sandbox of this pod would be bound over; drop it first.
            HostMounts.unmount(file)
            try HostFiles.write([], to: file)
        }
        return try SandboxNamespaces.create(in: ns, hostNetwork: config.hostNetwork, hostname: config.hostname,
                                            podUID: config.uid, bridge: network)
    }

    /// `/etc/hosts`, `/etc/hostname` and `/etc/resolv.conf` as the kubelet writes them for a pod (the last from the
    /// `DNSConfig` the kubelet formed, or the node's own when there is none).
    private func writeEtcFiles(_ config: PodSandboxConfig, ip: String?, into etc: URL) throws {
        var hosts: String
        if config.hostNetwork {
            hosts = (try? String(contentsOfFile: "/etc/hosts", encoding: .utf8)) ?? "127.0.0.1\tlocalhost\n"
        } else {
            hosts = """
                # Kubernetes-managed hosts file.
                127.0.0.1\tlocalhost
                ::1\tlocalhost ip6-localhost ip6-loopback
                fe00::0\tip6-localnet
                fe00::0\tip6-mcastprefix
                fe00::1\tip6-allnodes
                fe00::2\tip6-allrouters

                """
            hosts += "\(ip ?? "127.0.1.1")\t\(config.hostname)\n"
        }
        let hostname = config.hostNetwork ? (ProcessInfo.processInfo.hostName + "\n") : (config.hostname + "\n")
        let resolv: String
        if let dns = config.dns, !dns.isEmpty {
            resolv = dns.resolvConf
        } else {
            resolv = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        }
        // Written once into a new sandbox's directory, before any container sees them: no need for a
        // temporary file and a rename each.
        try HostFiles.write(Array(hosts.utf8), to: etc.path + "/hosts")
        try HostFiles.write(Array(hostname.utf8), to: etc.path + "/hostname")
        try HostFiles.write(Array(resolv.utf8), to: etc.path + "/resolv.conf")
    }

    /// The pod's network namespace file (`setns` takes it as it takes `/proc/<pid>/ns/net`); nil for
    /// `hostNetwork` pods and pods without a sandbox.
    public func networkNamespace(podUID: String) -> String? {
        guard let sandbox = state.withLock({ $0.sandboxes[podUID] }), !sandbox.config.hostNetwork else { return nil }
        return podStateDirectory(uid: podUID).appendingPathComponent("ns/net").path
    }

    public func removePod(uid: String) {
        // The kubelet calls this once none of the pod's containers runs; any still here are killed first.
        let leftovers = state.withLock { $0.containers.values.filter { $0.podUID == uid } }
        for container in leftovers { kill(container.pid, SIGKILL) }
        let deadline = Date().addingTimeInterval(5)
        while state.withLock({ state in state.containers.values.contains { $0.podUID == uid } }), Date() < deadline {
            usleep(10_000)
        }
        let sandbox = state.withLock { $0.sandboxes.removeValue(forKey: uid) }
        tearDownPod(uid: uid, hostNetwork: sandbox?.config.hostNetwork ?? false, address: sandbox?.ip, removeDirectory: true)
    }

    /// Releases the pod's address, unmounts its namespace files and container roots, removes its cgroups and
    /// its state, and (with `removeDirectory`) its directory of logs and volumes.
    func tearDownPod(uid: String, hostNetwork: Bool, address: String?, removeDirectory: Bool) {
        let directory = podDirectory(uid: uid), stateDirectory = podStateDirectory(uid: uid)
        if let network, !hostNetwork { network.detach(podUID: uid, address: address.flatMap(IPv4Subnet.parse)) }
        // Only namespace files and container roots are mounted, and only here; never delete through a live mount.
        guard HostMounts.unmountAll(under: stateDirectory.path) else {
            logger.warning("cannot unmount everything under the pod's state directory; keeping it", metadata: ["pod": "\(uid)"])
            return
        }
        cgroups.remove(CgroupLayout.podPath(podUID: uid))
        try? FileManager.default.removeItem(at: stateDirectory)
        if removeDirectory { try? FileManager.default.removeItem(at: directory) }
    }
}
