import Foundation
public import SkiffAPI

/// What the cluster DNS serves at one moment, built once from Services and EndpointSlices and never changed:
/// every name under the cluster domain that exists, with its record sets ready to copy into an answer, and the
/// PTR records of Service and endpoint addresses. Lookups are dictionary reads.
public final class ClusterDNSRecords: Sendable {
    /// The zone served, lowercased (`cluster.local.`).
    public let clusterDomain: DNSName
    /// The TTL of every record (CoreDNS's `ttl`, 5 s by default); also the SOA minimum.
    public let ttl: UInt32
    /// The zone's SOA record, sent in the authority section of negative answers.
    let soa: DNSResourceRecord
    /// Every name under the zone that exists, lowercased, including empty non-terminals such as `svc.<zone>`.
    let nodes: [DNSName: ClusterDNSNode]
    /// PTR records by reverse name (`1.0.96.10.in-addr.arpa.`), lowercased.
    let reverse: [DNSName: [DNSResourceRecord]]
    /// Namespaces that exist; nil when unknown, in which case every namespace is taken to exist.
    let namespaces: Set<String>?

    /// CoreDNS's `dns-version` answer: the Kubernetes DNS schema version it implements.
    public static let schemaVersion = "1.1.0"

    /// Builds a snapshot. EndpointSlices belong to the Service their `kubernetes.io/service-name` label names;
    /// `namespaces` (nil: any) decides which `<ns>.svc` and `<ns>.pod` names exist; `nameserverAddresses` answer
    /// `ns.dns.<zone>`; `serial` (default: now, as CoreDNS uses its last-change time) goes in the SOA. Objects
    /// with missing or unusable fields are skipped; throws only for a bad `clusterDomain`.
    public init(services: [core.v1.Service], endpointSlices: [discovery.v1.EndpointSlice], namespaces: [String]? = nil,
                clusterDomain: String = SkiffProxy.defaultClusterDomain, nameserverAddresses: [String] = [],
                serial: UInt32? = nil, ttl: UInt32 = 5)
        throws(DNSWireError)
    {
        let zone = try DNSName(clusterDomain).lowercased()
        var builder = ClusterDNSRecordsBuilder(zone: zone, ttl: ttl)
        self.clusterDomain = zone
        self.ttl = ttl
        let nsName = try zone.prepending("dns").prepending("ns")
        soa = DNSResourceRecord(name: zone, ttl: ttl, data: .soa(DNSSOA(
            primary: nsName, mailbox: try zone.prepending("hostmaster"),
            serial: serial ?? UInt32(truncatingIfNeeded: Int(Date.now.timeIntervalSince1970)),
            refresh: 7200, retry: 1800, expire: 86400, minimum: ttl)))
        builder.add(soa, at: zone)
        builder.add(DNSResourceRecord(name: zone, ttl: ttl, data: .ns(nsName)), at: zone)
        builder.touch(try zone.prepending("svc"))
        builder.touch(try zone.prepending("pod"))
        builder.touch(nsName)
        for address in nameserverAddresses {
            guard let data = addressData(address) else { continue }
            let record = DNSResourceRecord(name: nsName, ttl: ttl, data: data)
            builder.add(record, at: nsName)
            builder.addAdditional(record, at: zone, for: .ns)
        }
        let version = try zone.prepending("dns-version")
        builder.add(DNSResourceRecord(name: version, ttl: 28800, data: .txt([Array(Self.schemaVersion.utf8)])),
                    at: version)

        let knownNamespaces = namespaces.map(Set.init)
        for namespace in namespaces ?? [] {
            if let name = try? zone.prepending("svc").prepending(namespace) { builder.touch(name) }
        }
        let slices = Dictionary(grouping: endpointSlices) { slice in
            ServiceKey(namespace: slice.metadata?.namespace ?? "",
                       name: slice.metadata?.labels?["kubernetes.io/service-name"] ?? "")
        }
        for service in services {
            guard let name = service.metadata?.name, let namespace = service.metadata?.namespace,
                  knownNamespaces?.contains(namespace) ?? true,
                  let base = try? zone.prepending("svc").prepending(namespace).prepending(name)
            else { continue }
            builder.addService(service, base: base,
                               slices: slices[ServiceKey(namespace: namespace, name: name)] ?? [])
        }
        builder.addEndpointPointers()
        self.namespaces = knownNamespaces
        nodes = builder.freezeNodes()
        reverse = builder.reverse
    }

    /// The node for `name` (lowercased), when the name exists.
    func node(_ name: DNSName) -> ClusterDNSNode? { nodes[name] }

    /// Whether `<namespace>.svc.<zone>` and pod names in it exist.
    func namespaceExists(_ namespace: String) -> Bool { namespaces?.contains(namespace) ?? true }
}

/// A name that exists in the zone: its record sets by type (a CNAME owner has only the CNAME).
struct ClusterDNSNode: Sendable {
    struct RecordSet: Sendable {
        var type: DNSRecordType
        var answers: [DNSResourceRecord]
        var additionals: [DNSResourceRecord]
    }
    /// Few sets per name (A, AAAA, SRV at most, usually): a linear scan beats hashing.
    var sets: [RecordSet] = []

    func records(_ type: DNSRecordType) -> RecordSet? { sets.first { $0.type == type } }
}

/// Names a Service in the maps the builder keeps.
struct ServiceKey: Hashable {
    var namespace: String
    var name: String
}

/// A or AAAA data for an address string; nil when it is neither.
func addressData(_ text: String) -> DNSRecordData? {
    if let v4 = DNSIPv4Address(text) { return .a(v4) }
    if let v6 = DNSIPv6Address(text) { return .aaaa(v6) }
    return nil
}

/// The reverse-lookup name of an address: `4.3.2.1.in-addr.arpa.` or the nibble form under `ip6.arpa.`.
func reverseName(_ address: DNSRecordData) -> DNSName? {
    let text: String
    switch address {
    case .a(let v4):
        text = v4.bytes.reversed().map(String.init).joined(separator: ".") + ".in-addr.arpa."
    case .aaaa(let v6):
        let digits = Array("0123456789abcdef")
        var nibbles: [String] = []
        for byte in v6.bytes.reversed() {
            nibbles.append(String(digits[Int(byte & 0xF)]))
            nibbles.append(String(digits[Int(byte >> 4)]))
        }
        text = nibbles.joined(separator: ".") + ".ip6.arpa."
    default:
        return nil
    }
    return try? DNSName(text)
}
