#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SkiffAPI
@testable import SkiffProxy

/// Services and EndpointSlices covering every kind of name the cluster DNS serves.
enum DNSFixtures {
    static func service(_ name: String, _ namespace: String = "default", clusterIP: String? = nil,
                        clusterIPs: [String]? = nil, type: String? = nil, externalName: String? = nil,
                        ports: [core.v1.ServicePort] = [], publishNotReady: Bool? = nil) -> core.v1.Service {
        core.v1.Service(metadata: meta.v1.ObjectMeta(name: name, namespace: namespace),
                        spec: core.v1.ServiceSpec(clusterIP: clusterIP, clusterIPs: clusterIPs,
                                                  externalName: externalName, ports: ports,
                                                  publishNotReadyAddresses: publishNotReady, type: type))
    }

    static func slice(_ service: String, _ namespace: String = "default", addressType: String = "IPv4",
                      endpoints: [discovery.v1.Endpoint], ports: [discovery.v1.EndpointPort] = [])
        -> discovery.v1.EndpointSlice
    {
        discovery.v1.EndpointSlice(addressType: addressType, endpoints: endpoints,
                                   metadata: meta.v1.ObjectMeta(labels: ["kubernetes.io/service-name": service],
                                                                name: service + "-abcde", namespace: namespace),
                                   ports: ports)
    }

    static func endpoint(_ address: String, hostname: String? = nil, ready: Bool? = true) -> discovery.v1.Endpoint {
        discovery.v1.Endpoint(addresses: [address], conditions: discovery.v1.EndpointConditions(ready: ready),
                              hostname: hostname)
    }

    static let services: [core.v1.Service] = [
        service("web", clusterIP: "10.96.0.10", clusterIPs: ["10.96.0.10"],
                ports: [core.v1.ServicePort(name: "http", port: 80, protocol: "TCP"),
                        core.v1.ServicePort(name: "dns", port: 53, protocol: "UDP")]),
        service("db", clusterIP: "None",
                ports: [core.v1.ServicePort(name: "pg", port: 5432, protocol: "TCP")]),
        service("ext", type: "ExternalName", externalName: "example.com"),
        service("inner", type: "ExternalName", externalName: "web.default.svc.cluster.local"),
        service("warm", clusterIP: "None", publishNotReady: true),
        service("dual", clusterIP: "10.96.0.20", clusterIPs: ["10.96.0.20", "fd00::20"],
                ports: [core.v1.ServicePort(port: 443)]),
        service("kube-dns", "kube-system", clusterIP: "10.96.0.53",
                ports: [core.v1.ServicePort(name: "dns", port: 53, protocol: "UDP")]),
    ]

    static let slices: [discovery.v1.EndpointSlice] = [
        slice("web", endpoints: [endpoint("10.1.0.1"), endpoint("10.1.0.2", ready: false)],
              ports: [discovery.v1.EndpointPort(name: "http", port: 8080, protocol: "TCP")]),
        slice("db", endpoints: [endpoint("10.1.1.1", hostname: "db-0"), endpoint("10.1.1.2", hostname: "db-1"),
                                endpoint("10.1.1.3", ready: false), endpoint("10.1.1.4", ready: nil)],
              ports: [discovery.v1.EndpointPort(name: "pg", port: 5432, protocol: "TCP")]),
        slice("warm", endpoints: [endpoint("10.1.2.1", ready: false)]),
    ]

    static func records(namespaces: [String]? = nil) throws -> ClusterDNSRecords {
        try ClusterDNSRecords(services: services, endpointSlices: slices, namespaces: namespaces,
                              nameserverAddresses: ["10.96.0.53"], serial: 42)
    }

    static func query(_ name: String, _ type: DNSRecordType, id: UInt16 = 0x1234, edns: Bool = true) throws
        -> DNSMessage
    {
        var header = DNSHeader(id: id)
        header.recursionDesired = true
        return DNSMessage(header: header, questions: [DNSQuestion(name: try DNSName(name), type: type)],
                          edns: edns ? DNSEDNS(udpPayloadSize: 1232) : nil)
    }
}

/// A blocking DNS client on plain sockets, independent of the NIO code under test.
enum DNSTestClient {
    struct Failure: Error { var what: String }

    private static func socketType(_ udp: Bool) -> Int32 {
        #if canImport(Glibc)
        Int32(udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue)
        #else
        udp ? SOCK_DGRAM : SOCK_STREAM
        #endif
    }

    private static func connected(udp: Bool, port: Int) throws -> Int32 {
        let fd = socket(AF_INET, socketType(udp), 0)
        guard fd >= 0 else { throw Failure(what: "socket") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw Failure(what: "connect")
        }
        return fd
    }

    /// Sends one datagram and returns the first datagram back.
    static func udp(_ message: [UInt8], port: Int) throws -> [UInt8] {
        let fd = try connected(udp: true, port: port)
        defer { close(fd) }
        guard send(fd, message, message.count, 0) == message.count else { throw Failure(what: "send") }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { throw Failure(what: "recv") }
        return Array(buffer[..<count])
    }

    /// Sends one datagram and waits for nothing.
    static func udpSendOnly(_ message: [UInt8], port: Int) throws {
        let fd = try connected(udp: true, port: port)
        defer { close(fd) }
        guard send(fd, message, message.count, 0) == message.count else { throw Failure(what: "send") }
    }

    /// Sends every message on one connection, length-prefixed, and reads as many responses.
    static func tcp(_ messages: [[UInt8]], port: Int) throws -> [[UInt8]] {
        let fd = try connected(udp: false, port: port)
        defer { close(fd) }
        var out: [UInt8] = []
        for message in messages {
            out += [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
        }
        guard send(fd, out, out.count, 0) == out.count else { throw Failure(what: "send") }
        var responses: [[UInt8]] = []
        for _ in messages {
            let length = try readExactly(fd, 2)
            responses.append(try readExactly(fd, Int(length[0]) << 8 | Int(length[1])))
        }
        return responses
    }

    private static func readExactly(_ fd: Int32, _ count: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: max(count, 1))
        while result.count < count {
            let read = recv(fd, &buffer, count - result.count, 0)
            guard read > 0 else { throw Failure(what: "recv") }
            result += buffer[..<read]
        }
        return result
    }
}

extension DNSMessage {
    /// The answers' data, for short expectations.
    var answerData: [DNSRecordData] { answers.map(\.data) }
}

func v4(_ text: String) -> DNSRecordData {
    .a(DNSIPv4Address(text) ?? DNSIPv4Address(0))
}

func name(_ text: String) -> DNSName {
    (try? DNSName(text)) ?? .root
}
