#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A resource record type (RFC 1035 §3.2.2 and later); any 16-bit value is kept.
public struct DNSRecordType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = DNSRecordType(rawValue: 1)
    public static let ns = DNSRecordType(rawValue: 2)
    public static let cname = DNSRecordType(rawValue: 5)
    public static let soa = DNSRecordType(rawValue: 6)
    public static let ptr = DNSRecordType(rawValue: 12)
    public static let mx = DNSRecordType(rawValue: 15)
    public static let txt = DNSRecordType(rawValue: 16)
    public static let aaaa = DNSRecordType(rawValue: 28)
    public static let srv = DNSRecordType(rawValue: 33)
    public static let opt = DNSRecordType(rawValue: 41)
    public static let ixfr = DNSRecordType(rawValue: 251)
    public static let axfr = DNSRecordType(rawValue: 252)
    public static let any = DNSRecordType(rawValue: 255)

    public var description: String {
        switch self {
        case .a: "A"
        case .ns: "NS"
        case .cname: "CNAME"
        case .soa: "SOA"
        case .ptr: "PTR"
        case .mx: "MX"
        case .txt: "TXT"
        case .aaaa: "AAAA"
        case .srv: "SRV"
        case .opt: "OPT"
        case .ixfr: "IXFR"
        case .axfr: "AXFR"
        case .any: "ANY"
        default: "TYPE\(rawValue)"
        }
    }
}

/// The Internet class; the only one the cluster DNS answers.
public let dnsClassIN: UInt16 = 1

/// An IPv4 address as the 32-bit number A records carry.
public struct DNSIPv4Address: Sendable, Hashable, CustomStringConvertible {
    /// The address in host order (10.0.0.1 is 0x0A000001).
    public var value: UInt32
    /// The address of this number.
    public init(_ value: UInt32) { self.value = value }

    /// Parses dotted-quad text (`10.0.0.1`); nil for anything else.
    public init?(_ text: some StringProtocol) {
        var value: UInt32 = 0
        var parts = 0
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.count <= 3, let octet = UInt32(part), octet <= 255 else { return nil }
            value = value << 8 | octet
            parts += 1
        }
        guard parts == 4 else { return nil }
        self.value = value
    }

    var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    public var description: String { bytes.map(String.init).joined(separator: ".") }
}

/// An IPv6 address as the 16 bytes AAAA records carry.
public struct DNSIPv6Address: Sendable, Hashable, CustomStringConvertible {
    /// The address in network order.
    public let bytes: [UInt8]

    /// An address from 16 bytes; nil for any other count.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses RFC 4291 text (`fd00::1`, `::ffff:10.0.0.1`); nil for anything else.
    public init?(_ text: String) {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        self.bytes = withUnsafeBytes(of: &address) { Array($0) }
    }

    /// RFC 5952 text, as `inet_ntop` writes it.
    public var description: String {
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "::" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The SOA record's fields (RFC 1035 §3.3.13).
public struct DNSSOA: Sendable, Hashable {
    /// MNAME: the zone's primary name server.
    public var primary: DNSName
    /// RNAME: the administrator's mailbox, `@` written as a dot.
    public var mailbox: DNSName
    /// The zone's version.
    public var serial: UInt32
    /// Seconds between secondaries' checks.
    public var refresh: UInt32
    /// Seconds before a failed check is retried.
    public var retry: UInt32
    /// Seconds after which a secondary stops answering.
    public var expire: UInt32
    /// The TTL of negative answers (RFC 2308).
    public var minimum: UInt32

    /// An SOA from its seven fields.
    public init(primary: DNSName, mailbox: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32,
                minimum: UInt32) {
        self.primary = primary
        self.mailbox = mailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

/// A record's data, typed for the types the cluster DNS serves; others keep their bytes.
public enum DNSRecordData: Sendable, Hashable {
    case a(DNSIPv4Address)
    case aaaa(DNSIPv6Address)
    case cname(DNSName)
    case ns(DNSName)
    case ptr(DNSName)
    case soa(DNSSOA)
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName)
    /// Character strings, each at most 255 bytes.
    case txt([[UInt8]])
    /// Any other type, its data uninterpreted (names inside it stay as the sender compressed them).
    case unknown(type: DNSRecordType, data: [UInt8])

    /// The record type this data belongs to.
    public var type: DNSRecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .cname: .cname
        case .ns: .ns
        case .ptr: .ptr
        case .soa: .soa
        case .srv: .srv
        case .txt: .txt
        case .unknown(let type, _): type
        }
    }
}

/// A resource record: owner name, class, time to live and data.
public struct DNSResourceRecord: Sendable, Hashable {
    /// The owner name.
    public var name: DNSName
    /// The class, IN for everything the cluster serves.
    public var recordClass: UInt16
    /// Seconds the record may be cached.
    public var ttl: UInt32
    /// The typed data, which also says the type.
    public var data: DNSRecordData

    /// A record, class IN by default.
    public init(name: DNSName, recordClass: UInt16 = dnsClassIN, ttl: UInt32, data: DNSRecordData) {
        self.name = name
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }

    /// The record type, from its data.
    public var type: DNSRecordType { data.type }
}

extension DNSResourceRecord {
    /// Reads a record after its owner name, type and class; the data must fill exactly `rdlength` bytes.
    static func readData(_ reader: inout DNSWireReader, type: DNSRecordType, length: Int) throws(DNSWireError)
        -> DNSRecordData
    {
        guard length <= reader.remaining else { throw .truncated }
        let end = reader.offset + length
        let data: DNSRecordData
        switch type {
        case .a:
            guard length == 4 else { throw .badRecordData }
            data = .a(DNSIPv4Address(try reader.u32()))
        case .aaaa:
            guard length == 16, let address = DNSIPv6Address(bytes: try reader.bytes(16)) else { throw .badRecordData }
            data = .aaaa(address)
        case .cname: data = .cname(try reader.name())
        case .ns: data = .ns(try reader.name())
        case .ptr: data = .ptr(try reader.name())
        case .soa:
            data = .soa(DNSSOA(primary: try reader.name(), mailbox: try reader.name(), serial: try reader.u32(),
                               refresh: try reader.u32(), retry: try reader.u32(), expire: try reader.u32(),
                               minimum: try reader.u32()))
        case .srv:
            data = .srv(priority: try reader.u16(), weight: try reader.u16(), port: try reader.u16(),
                        target: try reader.name())
        case .txt:
            var strings: [[UInt8]] = []
            while reader.offset < end {
                let count = Int(try reader.u8())
                strings.append(try reader.bytes(count))
            }
            data = .txt(strings)
        default:
            data = .unknown(type: type, data: try reader.bytes(length))
        }
        // A name inside the data may not run past the announced length.
        guard reader.offset == end else { throw .badRecordData }
        return data
    }

    /// Appends the record, its data length filled in after the data.
    func write(to writer: inout DNSWireWriter) {
        writer.name(name)
        writer.u16(type.rawValue)
        writer.u16(recordClass)
        writer.u32(ttl)
        let lengthAt = writer.count
        writer.u16(0)
        switch data {
        case .a(let address): writer.u32(address.value)
        case .aaaa(let address): writer.append(address.bytes)
        case .cname(let target), .ns(let target), .ptr(let target): writer.name(target)
        case .soa(let soa):
            writer.name(soa.primary)
            writer.name(soa.mailbox)
            writer.u32(soa.serial)
            writer.u32(soa.refresh)
            writer.u32(soa.retry)
            writer.u32(soa.expire)
            writer.u32(soa.minimum)
        case .srv(let priority, let weight, let port, let target):
            writer.u16(priority)
            writer.u16(weight)
            writer.u16(port)
            // RFC 2782: the target is not compressed.
            writer.name(target, compress: false)
        case .txt(let strings):
            for string in strings {
                let chunk = string.prefix(255)
                writer.u8(UInt8(chunk.count))
                writer.append(chunk)
            }
        case .unknown(_, let bytes): writer.append(bytes)
        }
        writer.set(UInt16(truncatingIfNeeded: writer.count - lengthAt - 2), at: lengthAt)
    }
}
