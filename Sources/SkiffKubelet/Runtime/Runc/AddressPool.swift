import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An IPv4 subnet such as the node's pod range `10.244.0.0/24`.
struct IPv4Subnet: Sendable, Equatable {
    var network: UInt32
    var prefixLength: Int

    init?(_ cidr: String) {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let length = Int(parts[1]), (8...30).contains(length),
              let address = Self.parse(String(parts[0])) else { return nil }
        prefixLength = length
        network = address & Self.mask(length)
    }

    static func mask(_ length: Int) -> UInt32 { length == 0 ? 0 : UInt32.max << UInt32(32 - length) }

    static func parse(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        guard octets.count == 4, text.split(separator: ".").count == 4 else { return nil }
        return octets.reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func format(_ address: UInt32) -> String {
        "\(address >> 24).\(address >> 16 & 0xff).\(address >> 8 & 0xff).\(address & 0xff)"
    }

    /// Network byte order, as netlink carries addresses.
    static func bytes(_ address: UInt32) -> [UInt8] {
        [UInt8(address >> 24), UInt8(address >> 16 & 0xff), UInt8(address >> 8 & 0xff), UInt8(address & 0xff)]
    }

    var broadcast: UInt32 { network | ~Self.mask(prefixLength) }
    /// The bridge's address: the first of the range.
    var gateway: UInt32 { network + 1 }
    var description: String { "\(Self.format(network))/\(prefixLength)" }
}

/// The node's pod addresses: one file per address in use, named by the address and holding the pod's uid,
/// created exclusively so two allocations never share one (the layout of CNI's `host-local`, so allocations
/// made by earlier versions are still seen). Addresses are handed out round-robin, as `host-local` does,
/// so a deleted pod's address is not reused at once.
final class AddressPool: Sendable {
    let subnet: IPv4Subnet
    let directory: URL
    private let next = Mutex<UInt32>(0)

    /// `directory` exists.
    init(subnet: IPv4Subnet, directory: URL) {
        self.subnet = subnet
        self.directory = directory
    }

    /// Reserves a free address for the pod.
    func allocate(podUID: String) throws -> UInt32 {
        let first = subnet.gateway + 1, last = subnet.broadcast - 1
        guard first <= last else { throw ContainerRuntimeError(reason: "RunContainerError", message: "the pod range \(subnet.description) has no addresses") }
        let size = last - first + 1
        let start = next.withLock { $0 }
        for step in 0..<size {
            let candidate = first + (start &+ step) % size
            let path = directory.appendingPathComponent(IPv4Subnet.format(candidate)).path
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd < 0 {
                if errno == EEXIST { continue }
                throw ContainerRuntimeError(reason: "RunContainerError",
                                            message: "cannot reserve a pod address in \(directory.path): \(String(cString: strerror(errno)))")
            }
            let content = Array("\(podUID)\r\neth0".utf8)
            _ = content.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            next.withLock { $0 = (start &+ step &+ 1) % size }
            return candidate
        }
        throw ContainerRuntimeError(reason: "RunContainerError",
                                    message: "no free address in the pod range \(subnet.description): every one is in use")
    }

    /// Frees the pod's address: `address` when known, else every address the pod holds.
    func release(podUID: String, address: UInt32?) {
        if let address {
            let path = directory.appendingPathComponent(IPv4Subnet.format(address)).path
            if owner(path) == podUID { unlink(path) }
            return
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] where IPv4Subnet.parse(name) != nil {
            let path = directory.appendingPathComponent(name).path
            if owner(path) == podUID { unlink(path) }
        }
    }

    private func owner(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        // "\r\n" is one Character in Swift, a newline.
        return text.split(whereSeparator: \.isNewline).first.map(String.init)
    }
}
