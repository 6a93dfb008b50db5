/// A response code; values above 15 need EDNS (their high bits travel in the OPT record).
public struct DNSResponseCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let noError = DNSResponseCode(rawValue: 0)
    public static let formatError = DNSResponseCode(rawValue: 1)
    public static let serverFailure = DNSResponseCode(rawValue: 2)
    public static let nameError = DNSResponseCode(rawValue: 3)
    public static let notImplemented = DNSResponseCode(rawValue: 4)
    public static let refused = DNSResponseCode(rawValue: 5)
    public static let badVersion = DNSResponseCode(rawValue: 16)

    public var description: String {
        switch self {
        case .noError: "NOERROR"
        case .formatError: "FORMERR"
        case .serverFailure: "SERVFAIL"
        case .nameError: "NXDOMAIN"
        case .notImplemented: "NOTIMP"
        case .refused: "REFUSED"
        case .badVersion: "BADVERS"
        default: "RCODE\(rawValue)"
        }
    }
}

/// The 12-byte header's identifier and flags word (RFC 1035 §4.1.1), with accessors for each flag.
public struct DNSHeader: Sendable, Hashable {
    /// Matches a response to its query.
    public var id: UInt16
    /// QR, OPCODE, AA, TC, RD, RA, Z, AD, CD and RCODE, as on the wire.
    public var flags: UInt16

    /// A header with these raw fields.
    public init(id: UInt16 = 0, flags: UInt16 = 0) {
        self.id = id
        self.flags = flags
    }

    private func bit(_ shift: UInt16) -> Bool { flags & (1 << shift) != 0 }
    private mutating func setBit(_ shift: UInt16, _ on: Bool) {
        flags = on ? flags | (1 << shift) : flags & ~(1 << shift)
    }

    /// QR: a response rather than a query.
    public var isResponse: Bool { get { bit(15) } set { setBit(15, newValue) } }
    /// OPCODE; 0 is a standard query.
    public var opcode: UInt8 {
        get { UInt8((flags >> 11) & 0xF) }
        set { flags = (flags & ~(0xF << 11)) | (UInt16(newValue & 0xF) << 11) }
    }
    /// AA: the answer comes from the zone's authority.
    public var isAuthoritative: Bool { get { bit(10) } set { setBit(10, newValue) } }
    /// TC: the message was cut to fit; ask again over TCP.
    public var isTruncated: Bool { get { bit(9) } set { setBit(9, newValue) } }
    /// RD: the client wants recursion.
    public var recursionDesired: Bool { get { bit(8) } set { setBit(8, newValue) } }
    /// RA: the server recurses.
    public var recursionAvailable: Bool { get { bit(7) } set { setBit(7, newValue) } }
    /// CD: the client checks DNSSEC itself (RFC 4035); echoed.
    public var checkingDisabled: Bool { get { bit(4) } set { setBit(4, newValue) } }
    /// The low 4 bits of the response code.
    public var rcode: UInt8 {
        get { UInt8(flags & 0xF) }
        set { flags = (flags & ~0xF) | UInt16(newValue & 0xF) }
    }
}

/// One question: name, type and class.
public struct DNSQuestion: Sendable, Hashable {
    /// The name asked about, in the case the client wrote it.
    public var name: DNSName
    /// The record type asked for.
    public var type: DNSRecordType
    /// The class asked in, almost always IN.
    public var questionClass: UInt16

    /// A question, class IN by default.
    public init(name: DNSName, type: DNSRecordType, questionClass: UInt16 = dnsClassIN) {
        self.name = name
        self.type = type
        self.questionClass = questionClass
    }
}

/// The EDNS(0) pseudo-record (RFC 6891): the sender's UDP payload size, extended rcode bits, version, DO bit and
/// options (kept as bytes).
public struct DNSEDNS: Sendable, Hashable {
    /// The largest UDP message the sender can take.
    public var udpPayloadSize: UInt16
    /// The response code's high 8 bits.
    public var extendedRCode: UInt8
    /// The EDNS version; only 0 exists.
    public var version: UInt8
    /// DO: the sender wants DNSSEC records.
    public var dnssecOK: Bool
    /// The options (code, length, data...), uninterpreted.
    public var options: [UInt8]

    /// An OPT record; the defaults are what the server advertises.
    public init(udpPayloadSize: UInt16 = 1232, extendedRCode: UInt8 = 0, version: UInt8 = 0, dnssecOK: Bool = false,
                options: [UInt8] = []) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedRCode = extendedRCode
        self.version = version
        self.dnssecOK = dnssecOK
        self.options = options
    }
}

/// A whole DNS message. The OPT record is lifted out of the additional section into `edns`.
public struct DNSMessage: Sendable, Hashable {
    /// Id and flags.
    public var header: DNSHeader
    /// The question section (one question in practice).
    public var questions: [DNSQuestion]
    /// The answer section.
    public var answers: [DNSResourceRecord]
    /// The authority section (the SOA of negative answers).
    public var authorities: [DNSResourceRecord]
    /// The additional section, OPT excluded.
    public var additionals: [DNSResourceRecord]
    /// The OPT record, when the message has one.
    public var edns: DNSEDNS?

    /// A message from its sections.
    public init(header: DNSHeader = DNSHeader(), questions: [DNSQuestion] = [], answers: [DNSResourceRecord] = [],
                authorities: [DNSResourceRecord] = [], additionals: [DNSResourceRecord] = [], edns: DNSEDNS? = nil) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
        self.edns = edns
    }

    /// The full response code: the header's 4 bits plus the OPT record's 8 high bits.
    public var responseCode: DNSResponseCode {
        get { DNSResponseCode(rawValue: UInt16(edns?.extendedRCode ?? 0) << 4 | UInt16(header.rcode)) }
        set {
            header.rcode = UInt8(newValue.rawValue & 0xF)
            edns?.extendedRCode = UInt8(truncatingIfNeeded: newValue.rawValue >> 4)
        }
    }

    /// Reads a message; throws on anything malformed, never traps, and does work bounded by the input's length.
    public init(parsing bytes: [UInt8]) throws(DNSWireError) {
        var reader = DNSWireReader(bytes)
        header = DNSHeader(id: try reader.u16(), flags: try reader.u16())
        let counts = (try reader.u16(), try reader.u16(), try reader.u16(), try reader.u16())
        questions = []
        // Every question takes at least 5 bytes: a hostile count cannot make a big reservation.
        questions.reserveCapacity(min(Int(counts.0), reader.remaining / 5))
        for _ in 0..<counts.0 {
            questions.append(DNSQuestion(name: try reader.name(), type: DNSRecordType(rawValue: try reader.u16()),
                                         questionClass: try reader.u16()))
        }
        answers = try Self.readRecords(&reader, count: counts.1)
        authorities = try Self.readRecords(&reader, count: counts.2)
        additionals = []
        edns = nil
        for _ in 0..<counts.3 {
            let name = try reader.name()
            let type = DNSRecordType(rawValue: try reader.u16())
            let recordClass = try reader.u16()
            let ttl = try reader.u32()
            let length = Int(try reader.u16())
            if type == .opt {
                guard edns == nil else { throw .duplicateOPT }
                guard name.isRoot else { throw .badRecordData }
                edns = DNSEDNS(udpPayloadSize: recordClass, extendedRCode: UInt8(ttl >> 24),
                               version: UInt8((ttl >> 16) & 0xFF), dnssecOK: ttl & 0x8000 != 0,
                               options: try reader.bytes(length))
            } else {
                let data = try DNSResourceRecord.readData(&reader, type: type, length: length)
                additionals.append(DNSResourceRecord(name: name, recordClass: recordClass, ttl: ttl, data: data))
            }
        }
    }

    private static func readRecords(_ reader: inout DNSWireReader, count: UInt16) throws(DNSWireError)
        -> [DNSResourceRecord]
    {
        var records: [DNSResourceRecord] = []
        // Every record takes at least 11 bytes.
        records.reserveCapacity(min(Int(count), reader.remaining / 11))
        for _ in 0..<count {
            let name = try reader.name()
            let type = DNSRecordType(rawValue: try reader.u16())
            let recordClass = try reader.u16()
            let ttl = try reader.u32()
            let length = Int(try reader.u16())
            let data = try DNSResourceRecord.readData(&reader, type: type, length: length)
            records.append(DNSResourceRecord(name: name, recordClass: recordClass, ttl: ttl, data: data))
        }
        return records
    }

    /// The wire form, names compressed. When it exceeds `maxSize` the whole records that do not fit are left out
    /// and TC is set when an answer or authority record is among them; the OPT record is always kept.
    public func encoded(maxSize: Int = 65535) -> [UInt8] {
        var writer = DNSWireWriter(capacity: 512)
        writer.u16(header.id)
        writer.u16(header.flags)
        writer.u16(UInt16(truncatingIfNeeded: questions.count))
        writer.u16(0)
        writer.u16(0)
        writer.u16(0)
        for question in questions {
            writer.name(question.name)
            writer.u16(question.type.rawValue)
            writer.u16(question.questionClass)
        }
        let optSize = edns.map { 11 + $0.options.count } ?? 0
        let budget = max(maxSize, 12) - optSize
        var truncated = false
        // Per-section counts as locals, not an array: this runs for every answer sent.
        var counts: (UInt16, UInt16, UInt16) = (0, 0, 0)
        func append(_ records: [DNSResourceRecord], cutIsTruncation: Bool) -> Int? {
            for (index, record) in records.enumerated() {
                let before = writer.count
                record.write(to: &writer)
                if writer.count > budget {
                    writer.truncate(to: before)
                    truncated = cutIsTruncation
                    return index
                }
            }
            return nil
        }
        // Leaving out answers or authority records makes the message incomplete: say so. Dropping only
        // additional records does not call for TC (RFC 2181 §9): clients would retry over TCP for nothing.
        if let cut = append(answers, cutIsTruncation: true) {
            counts.0 = UInt16(truncatingIfNeeded: cut)
        } else {
            counts.0 = UInt16(truncatingIfNeeded: answers.count)
            if let cut = append(authorities, cutIsTruncation: true) {
                counts.1 = UInt16(truncatingIfNeeded: cut)
            } else {
                counts.1 = UInt16(truncatingIfNeeded: authorities.count)
                counts.2 = UInt16(truncatingIfNeeded: append(additionals, cutIsTruncation: false) ?? additionals.count)
            }
        }
        if truncated {
            writer.set(header.flags | 0x0200, at: 2)
        }
        writer.set(counts.0, at: 6)
        writer.set(counts.1, at: 8)
        var additionalCount = counts.2
        if let edns {
            writer.u8(0)
            writer.u16(DNSRecordType.opt.rawValue)
            writer.u16(edns.udpPayloadSize)
            writer.u32(UInt32(edns.extendedRCode) << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0))
            writer.u16(UInt16(truncatingIfNeeded: edns.options.count))
            writer.append(edns.options)
            additionalCount += 1
        }
        writer.set(additionalCount, at: 10)
        return writer.bytes
    }
}
