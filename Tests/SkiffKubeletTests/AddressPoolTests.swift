import Foundation
import Testing

@testable import SkiffKubelet

/// The pod range and its address files, against a real directory.
@Suite struct AddressPoolTests {
    @Test func subnetsParseAndBadRangesAreRefused() {
        let subnet = IPv4Subnet("10.244.3.7/24")
        #expect(subnet?.description == "10.244.3.0/24")
        #expect(subnet.map { IPv4Subnet.format($0.gateway) } == "10.244.3.1")
        #expect(subnet.map { IPv4Subnet.format($0.broadcast) } == "10.244.3.255")
        #expect(subnet.map { BridgeNetwork.bridgeName($0) } == "skiff3")
        for bad in ["10.244.0.0", "10.244.0.0/33", "10.244.0.0/31", "10.244.0/24", "10.244.0.256/24", "a.b.c.d/24", "::1/64", ""] {
            #expect(IPv4Subnet(bad) == nil, "\(bad)")
        }
        #expect(IPv4Subnet.bytes(0x0AF4_0102) == [10, 244, 1, 2])
    }

    @Test func aBadPodRangeIsAClearError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-ipam-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect {
            _ = try BridgeNetwork.make(podCIDR: "10.244.0.0", ipamDirectory: directory)
        } throws: { error in
            (error as? ContainerRuntimeError)?.message.contains("10.244.0.0 is not an IPv4 CIDR") == true
        }
    }

    @Test func addressesAreExclusiveRoundRobinReleasedByOwnerAndRunOut() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-ipam-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // A /29: .0 network, .1 gateway, .7 broadcast; .2 to .6 for pods.
        let subnet = try #require(IPv4Subnet("10.9.0.0/29"))
        let pool = AddressPool(subnet: subnet, directory: directory)
        // An address another kubelet (or host-local) holds is skipped.
        try "other\r\neth0".write(to: directory.appendingPathComponent("10.9.0.3"), atomically: true, encoding: .utf8)
        let a = try pool.allocate(podUID: "a")
        let b = try pool.allocate(podUID: "b")
        #expect(IPv4Subnet.format(a) == "10.9.0.2")
        #expect(IPv4Subnet.format(b) == "10.9.0.4")
        #expect(try String(contentsOf: directory.appendingPathComponent("10.9.0.2"), encoding: .utf8) == "a\r\neth0")
        // Released by its owner only; freed addresses come round again after the rest.
        pool.release(podUID: "b", address: a)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("10.9.0.2").path))
        pool.release(podUID: "a", address: a)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("10.9.0.2").path))
        #expect(IPv4Subnet.format(try pool.allocate(podUID: "c")) == "10.9.0.5")
        #expect(IPv4Subnet.format(try pool.allocate(podUID: "d")) == "10.9.0.6")
        #expect(IPv4Subnet.format(try pool.allocate(podUID: "e")) == "10.9.0.2")
        #expect {
            _ = try pool.allocate(podUID: "f")
        } throws: { error in
            (error as? ContainerRuntimeError)?.message == "no free address in the pod range 10.9.0.0/29: every one is in use"
        }
        // Without the address, every one the pod holds goes (a leftover after a crash).
        pool.release(podUID: "d", address: nil)
        #expect(IPv4Subnet.format(try pool.allocate(podUID: "f")) == "10.9.0.6")
    }
}
