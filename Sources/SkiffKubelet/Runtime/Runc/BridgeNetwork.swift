import SkiffHost
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The pod network, set up in-process over netlink as the CNI `bridge` plugin would: a bridge per pod range
/// (`10.244.X.0/24` → `skiffX`, gateway `.1`), and per pod a veth pair whose host end is a bridge port in
/// hairpin mode and whose other end is the pod's `eth0`, with an address from the range and a default route
/// through the gateway. Two Go programs per pod (the plugins) were a third of a pod's start-up CPU.
final class BridgeNetwork: Sendable {
    let subnet: IPv4Subnet
    let bridge: String
    let addresses: AddressPool
    /// The bridge's interface index once it is set up.
    private let bridgeIndex = Mutex<Int32?>(nil)

    /// A network for `podCIDR`, with its allocations under `ipamDirectory/skiff` (as `host-local` kept them).
    static func make(podCIDR: String, ipamDirectory: URL) throws -> BridgeNetwork {
        guard let subnet = IPv4Subnet(podCIDR) else {
            throw ContainerRuntimeError(reason: "RuntimeUnavailable",
                                        message: "the pod range \(podCIDR) is not an IPv4 CIDR with a prefix of 8 to 30 bits")
        }
        let directory = ipamDirectory.appendingPathComponent("skiff")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return BridgeNetwork(subnet: subnet, addresses: AddressPool(subnet: subnet, directory: directory))
    }

    private init(subnet: IPv4Subnet, addresses: AddressPool) {
        self.subnet = subnet
        bridge = Self.bridgeName(subnet)
        self.addresses = addresses
    }

    /// One bridge per pod range, as each bridge has one gateway address: `10.244.X.0/24` → `skiffX`.
    static func bridgeName(_ subnet: IPv4Subnet) -> String { "skiff\(subnet.network >> 8 & 0xff)" }

    /// The host end of a pod's veth pair, named after the pod so a restart can find a leftover one.
    static func hostInterface(podUID: String) -> String {
        "veth" + String(podUID.filter { $0.isHexDigit }.prefix(11))
    }

    /// Creates the bridge with the gateway address, brings it up and turns on IPv4 forwarding; what exists
    /// already is kept. Runs in the host's network namespace.
    func ensureBridge() throws -> Int32 {
        if let index = bridgeIndex.withLock({ $0 }) { return index }
        let host = try Netlink()
        var create = Netlink.Message.link(Netlink.Message.newLink, flags: Netlink.Message.create | Netlink.Message.exclusive,
                                          up: true)
        create.attribute(3, string: bridge) // IFLA_IFNAME
        var info = Netlink.Message()
        info.attribute(1, string: "bridge") // IFLA_INFO_KIND
        create.attribute(18, nested: info) // IFLA_LINKINFO
        try host.request(create, "create the bridge \(bridge)", tolerating: [EEXIST])
        let index = Int32(bitPattern: if_nametoindex(bridge))
        guard index > 0 else { throw Netlink.Failure(operation: "find the bridge \(bridge)", code: errno) }
        try host.request(.link(Netlink.Message.newLink, index: index, up: true), "bring the bridge \(bridge) up")
        var gateway = Netlink.Message.address(index: index, prefixLength: UInt8(subnet.prefixLength))
        gateway.attribute(2, IPv4Subnet.bytes(subnet.gateway)) // IFA_LOCAL
        gateway.attribute(1, IPv4Subnet.bytes(subnet.gateway)) // IFA_ADDRESS
        gateway.attribute(4, IPv4Subnet.bytes(subnet.broadcast)) // IFA_BROADCAST
        try host.request(gateway, "give the bridge \(bridge) its address", tolerating: [EEXIST])
        // The bridge plugin's isGateway does the same: pods reach beyond the node through it.
        let forwarding = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC)
        if forwarding >= 0 {
            _ = write(forwarding, "1", 1)
            close(forwarding)
        }
        bridgeIndex.withLock { $0 = index }
        return index
    }

    /// Gives the pod its `eth0` on the bridge. `host` was opened in the host's namespace and `pod` in the
    /// pod's, by the calling thread, which is in the pod's namespace (`podNamespace` is its descriptor).
    /// Returns the pod's address.
    func attach(podUID: String, host: Netlink, pod: Netlink, podNamespace: Int32, bridgeIndex: Int32) throws -> UInt32 {
        let address = try addresses.allocate(podUID: podUID)
        do {
            let veth = Self.hostInterface(podUID: podUID)
            var create = Netlink.Message.link(Netlink.Message.newLink,
                                              flags: Netlink.Message.create | Netlink.Message.exclusive, up: true)
            create.attribute(3, string: veth) // IFLA_IFNAME
            create.attribute(10, uint32: UInt32(bitPattern: bridgeIndex)) // IFLA_MASTER
            // Brought up from inside the pod below: the kernel refuses (ENOTCONN) a peer created up.
            var peer = Netlink.Message.link(0)
            peer.attribute(3, string: "eth0")
            peer.attribute(28, uint32: UInt32(bitPattern: podNamespace)) // IFLA_NET_NS_FD
            var data = Netlink.Message()
            data.attribute(1, nested: peer) // VETH_INFO_PEER
            var info = Netlink.Message()
            info.attribute(1, string: "veth") // IFLA_INFO_KIND
            info.attribute(2, nested: data) // IFLA_INFO_DATA
            create.attribute(18, nested: info) // IFLA_LINKINFO
            try host.request(create, "create the pod's veth pair \(veth)")
            // A pod reaching a service that leads back to itself goes out and in through the same port.
            let hairpin = open("/sys/class/net/\(veth)/brport/hairpin_mode", O_WRONLY | O_CLOEXEC)
            if hairpin >= 0 {
                _ = write(hairpin, "1", 1)
                close(hairpin)
            }
            let eth0 = Int32(bitPattern: if_nametoindex("eth0"))
            guard eth0 > 0 else { throw Netlink.Failure(operation: "find the pod's eth0", code: errno) }
            try pod.request(.link(Netlink.Message.newLink, index: eth0, up: true), "bring the pod's eth0 up")
            var local = Netlink.Message.address(index: eth0, prefixLength: UInt8(subnet.prefixLength))
            local.attribute(2, IPv4Subnet.bytes(address)) // IFA_LOCAL
            local.attribute(1, IPv4Subnet.bytes(address)) // IFA_ADDRESS
            local.attribute(4, IPv4Subnet.bytes(subnet.broadcast)) // IFA_BROADCAST
            try pod.request(local, "give the pod's eth0 its address")
            var route = Netlink.Message.route(destinationLength: 0)
            route.attribute(5, IPv4Subnet.bytes(subnet.gateway)) // RTA_GATEWAY
            route.attribute(4, uint32: UInt32(bitPattern: eth0)) // RTA_OIF
            try pod.request(route, "route the pod's traffic through \(IPv4Subnet.format(subnet.gateway))")
            return address
        } catch {
            detach(podUID: podUID, address: address, host: host)
            throw error
        }
    }

    /// Removes the pod's veth pair and frees its address (every address it holds when `address` is nil).
    /// Runs in the host's network namespace; a pod never attached is fine.
    func detach(podUID: String, address: UInt32?, host: Netlink? = nil) {
        if let link = host ?? (try? Netlink()) {
            var delete = Netlink.Message.link(Netlink.Message.deleteLink)
            delete.attribute(3, string: Self.hostInterface(podUID: podUID))
            try? link.request(delete, "delete the pod's veth pair", tolerating: [ENODEV])
        }
        addresses.release(podUID: podUID, address: address)
    }

    /// Traffic from pods to outside their range leaves with the node's address: one `MASQUERADE` rule for the
    /// whole range, added once (kept across restarts, as the bridge is). Without iptables pods still get
    /// addresses and reach each other and the node; the reason is returned to be logged.
    func ensureMasquerade() -> String? {
        guard let iptables = ["/usr/sbin/iptables", "/sbin/iptables", "/usr/bin/iptables"]
            .first(where: FileManager.default.isExecutableFile(atPath:)) else { return "iptables is not installed" }
        let range = subnet.description
        let rule = ["POSTROUTING", "-s", range, "!", "-d", range, "-m", "comment", "--comment", "skiff pod range",
                    "-j", "MASQUERADE"]
        if let check = try? HostCommand.run(iptables, ["-t", "nat", "-C"] + rule), check.succeeded { return nil }
        guard let added = try? HostCommand.run(iptables, ["-t", "nat", "-A"] + rule) else { return "iptables could not be run" }
        return added.succeeded ? nil : "iptables: \(added.message)"
    }
}
