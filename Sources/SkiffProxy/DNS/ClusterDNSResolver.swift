/// What to do with one query.
public enum ClusterDNSResolution: Sendable {
    /// Send this response.
    case answer(DNSMessage)
    /// The name is not the cluster's: ask the upstream resolvers.
    case forward
    /// Send this response once the upstream's answers to the question are appended: an ExternalName's CNAME
    /// leads out of the cluster, and stub resolvers expect the server to follow it (CoreDNS does).
    case chase(DNSMessage, DNSQuestion)
}

/// Answers questions about the cluster from the current snapshot, as CoreDNS's `kubernetes` plugin does with
/// `pods insecure` and `fallthrough in-addr.arpa ip6.arpa`; says `.forward` for everything else. Synchronous and
/// allocation-light: it runs on the event loop for every query.
public struct ClusterDNSResolver: Sendable {
    /// Where the snapshot comes from.
    public let records: ClusterDNSRecordsHolder

    /// The UDP payload size advertised in answers' OPT record (the 2020 DNS flag day's value).
    public static let udpPayloadSize: UInt16 = 1232

    private static let inAddrArpa = (try? DNSName("in-addr.arpa")) ?? .root
    private static let ip6Arpa = (try? DNSName("ip6.arpa")) ?? .root

    /// The zone assumed until the first snapshot arrives, so that its names get SERVFAIL rather than forwarding.
    private let initialZone: DNSName?

    /// A resolver reading `records`; `clusterDomain` names the zone before the first snapshot says it.
    public init(records: ClusterDNSRecordsHolder, clusterDomain: String = SkiffProxy.defaultClusterDomain) {
        self.records = records
        initialZone = try? DNSName(clusterDomain).lowercased()
    }

    /// Decides the answer to `query`, which must be a query (QR clear); responses are the caller's to drop.
    public func resolve(_ query: DNSMessage) -> ClusterDNSResolution {
        guard query.header.opcode == 0 else { return .answer(Self.reply(to: query, code: .notImplemented)) }
        guard query.questions.count == 1 else { return .answer(Self.reply(to: query, code: .formatError)) }
        if let edns = query.edns, edns.version > 0 {
            return .answer(Self.reply(to: query, code: .badVersion))
        }
        let question = query.questions[0]
        let name = question.name.lowercased()
        let snapshot = records.current
        guard let zone = snapshot?.clusterDomain ?? initialZone, name.isSubdomain(of: zone) else {
            return reverse(query, name: name, type: question.type, snapshot: snapshot)
        }
        guard let snapshot else { return .answer(Self.reply(to: query, code: .serverFailure)) }
        guard question.questionClass == dnsClassIN || question.questionClass == 255 else {
            return .answer(Self.reply(to: query, code: .refused))
        }
        if question.type == .axfr || question.type == .ixfr {
            return .answer(Self.reply(to: query, code: .refused))
        }
        if let node = snapshot.node(name) {
            if question.type != .cname, let alias = node.records(.cname) {
                return follow(alias.answers, query: query, type: question.type, snapshot: snapshot)
            }
            guard let set = node.records(question.type), !set.answers.isEmpty else {
                return .answer(Self.reply(to: query, authorities: [snapshot.soa]))
            }
            return .answer(Self.reply(to: query, answers: set.answers, additionals: set.additionals))
        }
        return .answer(pod(query, name: name, type: question.type, snapshot: snapshot))
    }

    /// Answers for a CNAME: the chain is followed inside the zone (at most 8 steps); a target outside it is for the
    /// upstream resolvers, when the question is for addresses.
    private func follow(_ aliases: [DNSResourceRecord], query: DNSMessage, type: DNSRecordType,
                        snapshot: ClusterDNSRecords) -> ClusterDNSResolution {
        var answers = aliases
        for _ in 0..<8 {
            guard case .cname(let target) = answers.last?.data else { break }
            let key = target.lowercased()
            guard key.isSubdomain(of: snapshot.clusterDomain) else {
                let response = Self.reply(to: query, answers: answers)
                guard type == .a || type == .aaaa else { return .answer(response) }
                return .chase(response, DNSQuestion(name: target, type: type))
            }
            guard let node = snapshot.node(key) else { break }
            if let alias = node.records(.cname) {
                answers += alias.answers
            } else {
                answers += node.records(type)?.answers ?? []
                break
            }
        }
        return .answer(Self.reply(to: query, answers: answers))
    }

    /// Names the snapshot does not hold: `<ns>.svc`, `<ns>.pod` (NODATA when the namespace exists) and
    /// `a-b-c-d.<ns>.pod` (an address record made from the name, CoreDNS's insecure pod mode); else NXDOMAIN.
    private func pod(_ query: DNSMessage, name: DNSName, type: DNSRecordType, snapshot: ClusterDNSRecords)
        -> DNSMessage
    {
        let nxdomain = Self.reply(to: query, code: .nameError, authorities: [snapshot.soa])
        guard let labels = name.labels(relativeTo: snapshot.clusterDomain) else { return nxdomain }
        let nodata = Self.reply(to: query, authorities: [snapshot.soa])
        switch labels.count {
        case 2 where labels[1] == "svc" || labels[1] == "pod":
            return snapshot.namespaceExists(labels[0]) ? nodata : nxdomain
        case 3 where labels[2] == "pod":
            guard snapshot.namespaceExists(labels[1]), let address = Self.podAddress(labels[0]) else { return nxdomain }
            guard address.type == type else { return nodata }
            return Self.reply(to: query, answers: [DNSResourceRecord(name: name, ttl: snapshot.ttl, data: address)])
        default:
            return nxdomain
        }
    }

    /// `1-2-3-4` → 1.2.3.4; `fd00--1` → fd00::1 (CoreDNS: three dashes and no `--` make an IPv4 address).
    static func podAddress(_ label: String) -> DNSRecordData? {
        let dashes = label.reduce(0) { $1 == "-" ? $0 + 1 : $0 }
        if dashes == 3, !label.contains("--") {
            return DNSIPv4Address(label.split(separator: "-", omittingEmptySubsequences: false).joined(separator: "."))
                .map(DNSRecordData.a)
        }
        return DNSIPv6Address(String(label.map { $0 == "-" ? ":" : $0 })).map(DNSRecordData.aaaa)
    }

    /// PTR questions for Service and endpoint addresses; every other reverse name falls through to upstream.
    private func reverse(_ query: DNSMessage, name: DNSName, type: DNSRecordType, snapshot: ClusterDNSRecords?)
        -> ClusterDNSResolution
    {
        guard type == .ptr, let snapshot, name.isSubdomain(of: Self.inAddrArpa) || name.isSubdomain(of: Self.ip6Arpa),
              let pointers = snapshot.reverse[name]
        else { return .forward }
        return .answer(Self.reply(to: query, answers: pointers))
    }

    /// A response to `query`: its id, opcode, RD and CD echoed, the question repeated, authoritative unless it is an
    /// error, recursion available (the forwarder recurses), and an OPT record when the query had one.
    public static func reply(to query: DNSMessage, code: DNSResponseCode = .noError,
                             answers: [DNSResourceRecord] = [], authorities: [DNSResourceRecord] = [],
                             additionals: [DNSResourceRecord] = []) -> DNSMessage {
        var header = DNSHeader(id: query.header.id)
        header.isResponse = true
        header.opcode = query.header.opcode
        header.isAuthoritative = code == .noError || code == .nameError
        header.recursionDesired = query.header.recursionDesired
        header.recursionAvailable = true
        header.checkingDisabled = query.header.checkingDisabled
        var response = DNSMessage(header: header, questions: code == .formatError ? [] : query.questions,
                                  answers: answers, authorities: authorities, additionals: additionals,
                                  edns: query.edns.map { _ in DNSEDNS(udpPayloadSize: udpPayloadSize) })
        response.responseCode = code
        return response
    }
}
