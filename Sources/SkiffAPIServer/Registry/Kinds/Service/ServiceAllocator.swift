import Foundation
import SkiffAPI
import Synchronization

/// Hands out cluster IPs from the service range and node ports from 30000-32767. What is in use is read
/// from the services themselves (the watch cache), plus what was handed out moments ago and may not
/// have reached the cache yet — so nothing needs storing beside the services.
final class ServiceAllocator: Sendable {
    /// First address and size of the service IP range (default 10.96.0.0/12, as kubeadm's).
    let base: UInt32
    let size: UInt32
    let nodePorts: ClosedRange<Int> = 30000...32767
    let recent = Mutex<[(value: String, at: ContinuousClock.Instant)]>([])
    /// What deleted services held, released moments ago: free again though the cache may still show them.
    let released = Mutex<[(value: String, at: ContinuousClock.Instant)]>([])
    /// Lists the services currently stored (set once the registry exists).
    let services = Mutex<(@Sendable () -> [JSONValue])?>(nil)

    init(cidr: String = "10.96.0.0/12") {
        let parts = cidr.split(separator: "/")
        let octets = parts.first?.split(separator: ".").compactMap { UInt32($0) } ?? [10, 96, 0, 0]
        let bits = parts.count > 1 ? UInt32(parts[1]) ?? 12 : 12
        var address: UInt32 = 0
        for octet in octets.prefix(4) { address = address << 8 | octet }
        base = address
        size = bits >= 32 ? 1 : (1 << (32 - bits))
    }

    /// The first address of the range: the `kubernetes` service's.
    var firstAddress: String { Self.format(base + 1) }

    static func format(_ address: UInt32) -> String {
        "\(address >> 24).\((address >> 16) & 255).\((address >> 8) & 255).\(address & 255)"
    }

    static func parse(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".").compactMap { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 < 256 }) else { return nil }
        return octets.reduce(0) { $0 << 8 | $1 }
    }

    func inUse() -> (ips: Set<String>, ports: Set<Int>) {
        var ips = Set<String>()
        var ports = Set<Int>()
        for service in services.withLock({ $0 })?() ?? [] {
            for ip in service["spec"]?["clusterIPs"]?.arrayValue ?? [] { if let s = ip.stringValue { ips.insert(s) } }
            if let ip = service["spec"]?["clusterIP"]?.stringValue { ips.insert(ip) }
            for port in service["spec"]?["ports"]?.arrayValue ?? [] { if let p = port["nodePort"]?.intValue { ports.insert(Int(p)) } }
        }
        let now = ContinuousClock.now
        let fresh = recent.withLock { recent -> [String] in
            recent.removeAll { now - $0.at > .seconds(60) }
            return recent.map(\.value)
        }
        for value in fresh {
            if value.hasPrefix("port:"), let p = Int(value.dropFirst(5)) { ports.insert(p) } else { ips.insert(value) }
        }
        let free = released.withLock { released -> [String] in
            released.removeAll { now - $0.at > .seconds(60) }
            return released.map(\.value)
        }
        for value in free {
            if value.hasPrefix("port:"), let p = Int(value.dropFirst(5)) { ports.remove(p) } else { ips.remove(value) }
        }
        return (ips, ports)
    }

    /// A service was deleted: its cluster IPs and node ports are free at once, as upstream's allocator
    /// releases them in the delete itself (a client may create the service again with the same IP).
    func release(_ service: JSONValue) {
        var values = (service["spec"]?["clusterIPs"]?.arrayValue ?? []).compactMap(\.stringValue)
        if let ip = service["spec"]?["clusterIP"]?.stringValue { values.append(ip) }
        for port in service["spec"]?["ports"]?.arrayValue ?? [] {
            if let p = port["nodePort"]?.intValue { values.append("port:\(p)") }
        }
        let now = ContinuousClock.now
        recent.withLock { recent in recent.removeAll { values.contains($0.value) } }
        released.withLock { released in released.append(contentsOf: values.map { ($0, now) }) }
    }

    /// A free cluster IP, or the requested one when it is free and in range.
    func allocateIP(requested: String?, service name: String = "") throws(APIError) -> String {
        let used = inUse().ips
        if let requested, !requested.isEmpty {
            // Upstream prints the whole clusterIPs slice as Go's %#v does.
            let shown = "[]string{\(JSONValue.string(requested).jsonString)}"
            guard let address = Self.parse(requested), address > base, address < base + size - 1 else {
                throw Self.invalid("spec.clusterIPs", shown, "failed to allocate IP \(requested): the provided IP (\(requested)) is not in the valid range. The range of valid IPs is \(Self.format(base))/\(32 - Int(log2(Double(size))))", service: name)
            }
            guard !used.contains(requested) else {
                throw Self.invalid("spec.clusterIPs", shown, "failed to allocate IP \(requested): provided IP is already allocated", service: name)
            }
            remember(requested)
            return requested
        }
        let usable = size > 3 ? size - 3 : 1
        let start = UInt32.random(in: 0..<usable)
        for i in 0..<usable {
            let candidate = Self.format(base + 2 + (start + i) % usable)
            if !used.contains(candidate) {
                remember(candidate)
                return candidate
            }
        }
        throw APIError.internalError("failed to allocate a serviceIP: range is full")
    }

    func allocatePort(requested: Int?, index: Int = 0, service name: String = "") throws(APIError) -> Int {
        let used = inUse().ports
        if let requested {
            let field = "spec.ports[\(index)].nodePort"
            guard nodePorts.contains(requested) else {
                throw Self.invalid(field, String(requested), "provided port is not in the valid range. The range of valid ports is 30000-32767", service: name)
            }
            guard !used.contains(requested) else {
                throw Self.invalid(field, String(requested), "provided port is already allocated", service: name)
            }
            remember("port:\(requested)")
            return requested
        }
        let start = Int.random(in: nodePorts)
        for i in 0..<nodePorts.count {
            let candidate = nodePorts.lowerBound + (start - nodePorts.lowerBound + i) % nodePorts.count
            if !used.contains(candidate) {
                remember("port:\(candidate)")
                return candidate
            }
        }
        throw APIError.internalError("failed to allocate a nodePort: range is full")
    }

    func remember(_ value: String) {
        released.withLock { released in released.removeAll { $0.value == value } }
        recent.withLock { $0.append((value, ContinuousClock.now)) }
    }

    /// `shown`: the value as upstream prints it (already formatted).
    static func invalid(_ field: String, _ shown: String, _ detail: String, service name: String) -> APIError {
        APIError.invalid(group: "", kind: "Service", name: name,
                         causes: [.init(reason: "FieldValueInvalid", message: "Invalid value: \(shown): \(detail)", field: field)],
                         errorStrings: ["\(field): Invalid value: \(shown): \(detail)"])
    }
}
