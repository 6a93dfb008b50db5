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
        return (ips, ports)
    }

    /// A free cluster IP, or the requested one when it is free and in range.
    func allocateIP(requested: String?) throws(APIError) -> String {
        let used = inUse().ips
        if let requested, !requested.isEmpty {
            guard let address = Self.parse(requested), address > base, address < base + size - 1 else {
                throw Self.invalid("spec.clusterIPs", requested, "provided IP is not in the valid range. The range of valid IPs is \(Self.format(base))/\(32 - Int(log2(Double(size))))")
            }
            guard !used.contains(requested) else {
                throw Self.invalid("spec.clusterIPs", requested, "failed to allocate IP \(requested): provided IP is already allocated")
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

    func allocatePort(requested: Int?) throws(APIError) -> Int {
        let used = inUse().ports
        if let requested {
            guard nodePorts.contains(requested) else {
                throw Self.invalid("spec.ports[0].nodePort", String(requested), "provided port is not in the valid range. The range of valid ports is 30000-32767")
            }
            guard !used.contains(requested) else {
                throw Self.invalid("spec.ports[0].nodePort", String(requested), "provided port is already allocated")
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
        recent.withLock { $0.append((value, ContinuousClock.now)) }
    }

    static func invalid(_ field: String, _ value: String, _ detail: String) -> APIError {
        APIError.invalid(group: "", kind: "Service", name: "",
                         causes: [.init(reason: "FieldValueInvalid", message: "Invalid value: \"\(value)\": \(detail)", field: field)],
                         errorStrings: ["\(field): Invalid value: \"\(value)\": \(detail)"])
    }
}

/// Services: defaults, cluster IPs and node ports allocated on create and kept on update.
struct ServiceStrategy: ResourceStrategy {
    let allocator: ServiceAllocator

    var hasStatusSubresource: Bool { true }

    func prepareForCreate(_ object: inout JSONValue, context: StrategyContext) {
        object["status"] = ["loadBalancer": [:]]
        defaults(&object)
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue, context: StrategyContext) {
        object["status"] = old["status"]
        // Allocated addresses stay unless the update names them (changing them is refused by validation).
        if (object["spec"]?["clusterIP"]?.stringValue ?? "").isEmpty, let ip = old["spec"]?["clusterIP"] {
            object.setValue(ip, at: ["spec", "clusterIP"])
            object.setValue(old["spec"]?["clusterIPs"], at: ["spec", "clusterIPs"])
        }
        if var ports = object["spec"]?["ports"]?.arrayValue, let oldPorts = old["spec"]?["ports"]?.arrayValue {
            for i in ports.indices where ports[i]["nodePort"] == nil {
                if let match = oldPorts.first(where: { $0["port"] == ports[i]["port"] && ($0["protocol"] ?? "TCP") == (ports[i]["protocol"] ?? "TCP") }),
                   let nodePort = match["nodePort"] {
                    ports[i]["nodePort"] = nodePort
                }
            }
            object.setValue(.array(ports), at: ["spec", "ports"])
        }
        defaults(&object)
    }

    func defaults(_ object: inout JSONValue) {
        var spec = object["spec"] ?? [:]
        let type = spec["type"]?.stringValue ?? "ClusterIP"
        spec["type"] = .string(type)
        if type != "ExternalName" {
            if spec["sessionAffinity"] == nil { spec["sessionAffinity"] = "None" }
            if spec["internalTrafficPolicy"] == nil { spec["internalTrafficPolicy"] = "Cluster" }
            if spec["ipFamilies"] == nil { spec["ipFamilies"] = ["IPv4"] }
            if spec["ipFamilyPolicy"] == nil { spec["ipFamilyPolicy"] = "SingleStack" }
        }
        if type == "NodePort" || type == "LoadBalancer", spec["externalTrafficPolicy"] == nil {
            spec["externalTrafficPolicy"] = "Cluster"
        }
        if type == "LoadBalancer", spec["allocateLoadBalancerNodePorts"] == nil { spec["allocateLoadBalancerNodePorts"] = true }
        if var ports = spec["ports"]?.arrayValue {
            for i in ports.indices {
                if ports[i]["protocol"] == nil { ports[i]["protocol"] = "TCP" }
                if ports[i]["targetPort"] == nil { ports[i]["targetPort"] = ports[i]["port"] ?? 0 }
            }
            spec["ports"] = .array(ports)
        }
        object["spec"] = spec
    }

    /// Allocates the cluster IP and node ports a service lacks (all of them on create); not for dry runs,
    /// which get placeholders.
    func beforeStore(_ object: inout JSONValue, old: JSONValue?, dryRun: Bool) throws(APIError) {
        var spec = object["spec"] ?? [:]
        let type = spec["type"]?.stringValue ?? "ClusterIP"
        let oldIP = old?["spec"]?["clusterIP"]?.stringValue ?? ""
        if type != "ExternalName", oldIP.isEmpty || oldIP != spec["clusterIP"]?.stringValue {
            let requested = spec["clusterIP"]?.stringValue ?? spec["clusterIPs"]?[0]?.stringValue
            if requested == "None" {
                spec["clusterIP"] = "None"
                spec["clusterIPs"] = ["None"]
            } else {
                let ip = dryRun ? (requested ?? allocator.firstAddress) : try allocator.allocateIP(requested: requested)
                spec["clusterIP"] = .string(ip)
                spec["clusterIPs"] = [.string(ip)]
            }
        }
        if type == "NodePort" || (type == "LoadBalancer" && spec["allocateLoadBalancerNodePorts"]?.boolValue != false),
           var ports = spec["ports"]?.arrayValue
        {
            let oldPorts = Set((old?["spec"]?["ports"]?.arrayValue ?? []).compactMap { $0["nodePort"]?.intValue })
            for i in ports.indices {
                let requested = ports[i]["nodePort"]?.intValue
                if dryRun || (requested.map { oldPorts.contains($0) } ?? false) { continue }
                ports[i]["nodePort"] = .int(Int64(try allocator.allocatePort(requested: requested.map { Int($0) })))
            }
            spec["ports"] = .array(ports)
        }
        object["spec"] = spec
    }
}
