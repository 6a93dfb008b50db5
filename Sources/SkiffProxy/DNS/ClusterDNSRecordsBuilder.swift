import SkiffAPI

/// Turns Services and their EndpointSlices into the names CoreDNS's `kubernetes` plugin answers (the Kubernetes
/// DNS specification, schema 1.1.0): `svc.ns.svc.zone`, `_port._proto.svc.ns.svc.zone`, `host.svc.ns.svc.zone`
/// and the PTR records of their addresses.
struct ClusterDNSRecordsBuilder {
    let zone: DNSName
    let ttl: UInt32
    private var nodes: [DNSName: [ClusterDNSNode.RecordSet]] = [:]
    private(set) var reverse: [DNSName: [DNSResourceRecord]] = [:]
    /// Endpoint PTRs wait until every Service address is known: an address that is some Service's ClusterIP
    /// answers with that Service only, as in CoreDNS.
    private var endpointPointers: [(name: DNSName, record: DNSResourceRecord)] = []
    private var servicePointerNames: Set<DNSName> = []

    init(zone: DNSName, ttl: UInt32) {
        self.zone = zone
        self.ttl = ttl
    }

    /// A Service port or an EndpointSlice port, as SRV names need it.
    struct Port {
        var name: String?
        var proto: String
        var number: UInt16
    }

    /// One address of a Service's endpoints that DNS publishes.
    struct Endpoint {
        var host: String
        var address: DNSRecordData
        var ports: [Port]
    }

    /// Makes `name` and every name between it and the zone exist (empty non-terminals answer NODATA).
    mutating func touch(_ name: DNSName) {
        var current = name
        while current.isSubdomain(of: zone), nodes[current] == nil {
            nodes[current] = []
            guard current != zone, let parent = current.parent else { break }
            current = parent
        }
    }

    /// Adds `record` to the answers for its type at `name`.
    mutating func add(_ record: DNSResourceRecord, at name: DNSName) {
        touch(name)
        update(name, record.type) { $0.answers.append(record) }
    }

    /// Adds `record` to what goes in the additional section of answers of `type` at `name`.
    mutating func addAdditional(_ record: DNSResourceRecord, at name: DNSName, for type: DNSRecordType) {
        touch(name)
        update(name, type) { $0.additionals.append(record) }
    }

    private mutating func update(_ name: DNSName, _ type: DNSRecordType,
                                 _ change: (inout ClusterDNSNode.RecordSet) -> Void) {
        // Through the defaulting subscript the array is changed in place: no copy per record added.
        func apply(_ sets: inout [ClusterDNSNode.RecordSet]) {
            if let index = sets.firstIndex(where: { $0.type == type }) {
                change(&sets[index])
            } else {
                var set = ClusterDNSNode.RecordSet(type: type, answers: [], additionals: [])
                change(&set)
                sets.append(set)
            }
        }
        apply(&nodes[name, default: []])
    }

    mutating func addService(_ service: core.v1.Service, base: DNSName, slices: [discovery.v1.EndpointSlice]) {
        guard let spec = service.spec else { return }
        touch(base)
        if spec.type == "ExternalName" {
            // An alias only: no ports, no endpoints, no SRV (CoreDNS answers the CNAME for every type).
            guard let external = spec.externalName, let target = try? DNSName(external) else { return }
            add(DNSResourceRecord(name: base, ttl: ttl, data: .cname(target)), at: base)
            return
        }
        let endpoints = Self.endpoints(of: slices, publishNotReady: spec.publishNotReadyAddresses ?? false)
        var targets: [(port: Port, target: DNSName, records: [DNSResourceRecord])] = []
        if spec.clusterIP == "None" {
            for endpoint in endpoints {
                add(DNSResourceRecord(name: base, ttl: ttl, data: endpoint.address), at: base)
                guard let host = try? base.prepending(endpoint.host) else { continue }
                let record = DNSResourceRecord(name: host, ttl: ttl, data: endpoint.address)
                for port in endpoint.ports { targets.append((port, host, [record])) }
            }
        } else {
            let addresses = (spec.clusterIPs ?? spec.clusterIP.map { [$0] } ?? []).compactMap(addressData)
            let records = addresses.map { DNSResourceRecord(name: base, ttl: ttl, data: $0) }
            for record in records {
                add(record, at: base)
                if let reverseName = reverseName(record.data) {
                    reverse[reverseName, default: []].append(
                        DNSResourceRecord(name: reverseName, ttl: ttl, data: .ptr(base)))
                    servicePointerNames.insert(reverseName)
                }
            }
            for port in spec.ports ?? [] {
                let port = Port(name: port.name, proto: (port.protocol ?? "TCP").lowercased(),
                                number: UInt16(clamping: port.port))
                targets.append((port, base, records))
            }
        }
        addSRV(at: base, targets)
        // `_port._proto.svc…` for named ports; CoreDNS also answers A/AAAA there with the targets' addresses.
        var named: [DNSName: [(port: Port, target: DNSName, records: [DNSResourceRecord])]] = [:]
        for target in targets {
            guard let portName = target.port.name, !portName.isEmpty,
                  let owner = try? base.prepending("_" + target.port.proto).prepending("_" + portName)
            else { continue }
            named[owner, default: []].append(target)
        }
        for (owner, ownerTargets) in named {
            addSRV(at: owner, ownerTargets)
            for record in ownerTargets.flatMap(\.records) {
                add(DNSResourceRecord(name: owner, ttl: ttl, data: record.data), at: owner)
            }
        }
        addEndpointNames(endpoints, base: base)
    }

    /// SRV answers at `owner`, one per target port, weights shared as CoreDNS shares them (100 / count, priority
    /// 0); each target's addresses go in the additional section.
    private mutating func addSRV(at owner: DNSName,
                                 _ targets: [(port: Port, target: DNSName, records: [DNSResourceRecord])]) {
        guard !targets.isEmpty else { return }
        let weight = UInt16(100 / targets.count)
        for target in targets {
            add(DNSResourceRecord(name: owner, ttl: ttl,
                                  data: .srv(priority: 0, weight: weight, port: target.port.number,
                                             target: target.target)),
                at: owner)
            for record in target.records { addAdditional(record, at: owner, for: .srv) }
        }
    }

    /// `host.svc.ns.svc.zone` for every published endpoint (CoreDNS answers them for ClusterIP Services too),
    /// with SRV for its ports and a PTR back from its address.
    private mutating func addEndpointNames(_ endpoints: [Endpoint], base: DNSName) {
        for endpoint in endpoints {
            guard let host = try? base.prepending(endpoint.host) else { continue }
            add(DNSResourceRecord(name: host, ttl: ttl, data: endpoint.address), at: host)
            let record = DNSResourceRecord(name: host, ttl: ttl, data: endpoint.address)
            addSRV(at: host, endpoint.ports.map { ($0, host, [record]) })
            if let reverseName = reverseName(endpoint.address) {
                endpointPointers.append((reverseName, DNSResourceRecord(name: reverseName, ttl: ttl, data: .ptr(host))))
            }
        }
    }

    /// Adds the endpoint PTRs whose address is no Service's ClusterIP; call after the last Service.
    mutating func addEndpointPointers() {
        for (name, record) in endpointPointers where !servicePointerNames.contains(name) {
            reverse[name, default: []].append(record)
        }
        endpointPointers = []
        for (name, records) in reverse { reverse[name] = Self.unique(records) }
    }

    func freezeNodes() -> [DNSName: ClusterDNSNode] {
        nodes.mapValues { sets in
            ClusterDNSNode(sets: sets.map {
                ClusterDNSNode.RecordSet(type: $0.type, answers: Self.unique($0.answers),
                                         additionals: Self.unique($0.additionals))
            })
        }
    }

    /// The endpoints DNS publishes: ready ones (a missing condition counts as ready, as the API says), or all
    /// when the Service publishes not-ready addresses. FQDN slices carry no address DNS can serve.
    static func endpoints(of slices: [discovery.v1.EndpointSlice], publishNotReady: Bool) -> [Endpoint] {
        var result: [Endpoint] = []
        for slice in slices where slice.addressType == "IPv4" || slice.addressType == "IPv6" {
            let ports = (slice.ports ?? []).compactMap { port -> Port? in
                guard let number = port.port, number > 0 else { return nil }
                return Port(name: port.name, proto: (port.protocol ?? "TCP").lowercased(),
                            number: UInt16(clamping: number))
            }
            for endpoint in slice.endpoints where publishNotReady || (endpoint.conditions?.ready ?? true) {
                for text in endpoint.addresses {
                    guard let address = addressData(text) else { continue }
                    let host = endpoint.hostname.flatMap { $0.isEmpty ? nil : $0 } ?? dashed(text)
                    result.append(Endpoint(host: host, address: address, ports: ports))
                }
            }
        }
        return result
    }

    /// CoreDNS's name for an endpoint without a hostname: its address with dashes (`10-0-0-1`, `fd00--1`).
    static func dashed(_ address: String) -> String {
        if address.contains(".") { return address.replacingOccurrences(".", "-") }
        let dashed = address.replacingOccurrences(":", "-")
        return dashed.hasSuffix("-") ? dashed + "0" : dashed
    }

    /// The records in first-seen order without repeats (an address in two slices, two ports on one target).
    static func unique(_ records: [DNSResourceRecord]) -> [DNSResourceRecord] {
        guard records.count > 1 else { return records }
        var seen: Set<DNSResourceRecord> = []
        return records.filter { seen.insert($0).inserted }
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: Character, _ replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}

extension DNSName {
    /// The name without its leftmost label; nil for the root.
    var parent: DNSName? {
        guard !isRoot else { return nil }
        let length = Int(wire[0])
        return DNSName(validatedWire: Array(wire[(length + 1)...]))
    }
}
