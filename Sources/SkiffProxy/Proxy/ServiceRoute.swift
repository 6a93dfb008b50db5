import Foundation
import SkiffHost

/// The host's route for the Service range: into an empty bridge of its own (as kube-proxy's IPVS mode binds
/// ClusterIPs to `kube-ipvs0`), never the default route. Connections the host opens to a ClusterIP are
/// NATed to a pod on their way out, but the kernel keeps the first route's device for the rest of the output
/// hooks, so with the default route they would look like traffic leaving through the uplink (and guards
/// that drop such traffic would drop them); and with no proxy at all, a packet for the range goes nowhere.
public struct ServiceRoute: Sendable {
    public var device: String
    public var cidr: String
    let ip: String

    public init(device: String = "skiff-svc", cidr: String) {
        self.device = device
        self.cidr = cidr
        ip = Self.ipProgram
    }

    /// iproute2's `ip`.
    public static var ipProgram: String {
        ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first(where: FileManager.default.isExecutableFile(atPath:))
            ?? "/usr/sbin/ip"
    }

    /// Makes the interface (an empty bridge: every kernel has bridges, not all have the dummy driver) (if missing), brings it up and points the range at it.
    public func install() throws {
        let exists = try HostCommand.run(ip, ["link", "show", device]).succeeded
        if !exists { try run(["link", "add", device, "type", "bridge"]) }
        try run(["link", "set", device, "up"])
        try run(["route", "replace", cidr, "dev", device])
    }

    /// Removes the interface and with it the route (`skiff proxy --cleanup`).
    public func remove() throws {
        guard try HostCommand.run(ip, ["link", "show", device]).succeeded else { return }
        try run(["link", "del", device])
    }

    func run(_ arguments: [String]) throws {
        let result = try HostCommand.run(ip, arguments)
        guard result.succeeded else { throw NFTError(message: "ip \(arguments.joined(separator: " ")): \(result.message)") }
    }
}
