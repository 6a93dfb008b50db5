import Foundation
import SkiffAPI

#if canImport(Glibc)
    import Glibc
#endif

/// What a real node reports about itself: capacity from this machine, its address and software.
struct NodeInfo: Sendable {
    var name: String
    var hostIP: String
    var runtimeVersion: String
    /// The node's pod range (`spec.podCIDR`), if its runtime gives pods addresses of their own.
    var podCIDR: String?
    /// Where the kubelet API listens (`daemonEndpoints.kubeletEndpoint.Port`).
    var kubeletPort = 10250
    /// The runtime enforces `resources.limits` (else a `LimitsEnforced=False` condition says it does not).
    var enforcesLimits = true

    func nodeObject(now: Date) -> core.v1.Node {
        let labels = [
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": Self.arch,
            "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": Self.arch,
            "node.skiff.dev/runtime": runtimeVersion.components(separatedBy: "://").first ?? "",
        ]
        return core.v1.Node(metadata: meta.v1.ObjectMeta(labels: labels, name: name),
                            spec: podCIDR.map { core.v1.NodeSpec(podCIDR: $0, podCIDRs: [$0]) },
                            status: status(now: now))
    }

    func status(now: Date) -> core.v1.NodeStatus {
        let resources: [String: Quantity] = [
            "cpu": Quantity(String(ProcessInfo.processInfo.activeProcessorCount)),
            "memory": Quantity("\(Self.memoryKiB())Ki"), "pods": "110",
        ]
        var uts = utsname()
        uname(&uts)
        let kernel = withUnsafeBytes(of: &uts.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let machineID = (try? String(contentsOfFile: "/etc/machine-id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? name
        let bootID = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? name
        return core.v1.NodeStatus(
            addresses: [core.v1.NodeAddress(address: hostIP, type: "InternalIP"), core.v1.NodeAddress(address: name, type: "Hostname")],
            allocatable: resources, capacity: resources,
            conditions: NodeRegistration.conditions(now: now, ready: true, enforcesLimits: enforcesLimits),
            daemonEndpoints: core.v1.NodeDaemonEndpoints(kubeletEndpoint: core.v1.DaemonEndpoint(Port: Int32(clamping: kubeletPort))),
            nodeInfo: core.v1.NodeSystemInfo(
                architecture: Self.arch, bootID: bootID, containerRuntimeVersion: runtimeVersion, kernelVersion: kernel,
                kubeProxyVersion: "v1.32.1+skiff", kubeletVersion: "v1.32.1+skiff", machineID: machineID,
                operatingSystem: "linux", osImage: Self.osImage(), systemUUID: machineID))
    }

    static var arch: String {
        #if arch(arm64)
            "arm64"
        #else
            "amd64"
        #endif
    }

    /// MemTotal of `/proc/meminfo`, in KiB.
    static func memoryKiB() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }) else { return 0 }
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    }

    static func osImage() -> String {
        guard let text = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PRETTY_NAME=") }) else { return "Linux" }
        return line.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    /// The first IPv4 address of an interface that is up and not loopback (pods share it: host network).
    static func hostIP() -> String {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return "127.0.0.1" }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            let flags = Int32(entry.pointee.ifa_flags)
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
                  flags & Int32(IFF_UP) != 0, flags & Int32(IFF_LOOPBACK) == 0 else { continue }
            var host = [CChar](repeating: 0, count: 1025)
            guard getnameinfo(address, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count), nil, 0,
                              NI_NUMERICHOST) == 0 else { continue }
            return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return "127.0.0.1"
    }
}
