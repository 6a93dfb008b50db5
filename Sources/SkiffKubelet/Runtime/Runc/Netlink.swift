import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A `NETLINK_ROUTE` socket: links, addresses and routes of the network namespace the calling thread was in
/// when it was opened (a socket keeps that namespace for life). Requests are acknowledged one at a time.
final class Netlink {
    /// The kernel's refusal of a request, with its errno.
    struct Failure: Error, CustomStringConvertible {
        var operation: String
        var code: Int32
        var description: String { "\(operation): \(String(cString: strerror(code)))" }
    }

    private let fd: Int32
    private var sequence: UInt32 = 0

    init() throws {
        // AF_NETLINK = 16, NETLINK_ROUTE = 0.
        fd = socket(16, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(operation: "netlink socket", code: errno) }
        // sockaddr_nl of the kernel: family, padding, port 0, no groups.
        var kernel = [UInt8](repeating: 0, count: 12)
        kernel[0] = 16
        let connected = kernel.withUnsafeBytes { raw in
            connect(fd, raw.baseAddress?.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw Failure(operation: "netlink connect", code: code)
        }
        // The kernel always answers; should it not, a pod's set-up fails instead of hanging its thread.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends one request and waits for its acknowledgement; `tolerating` errnos (EEXIST, ENODEV …) count as done.
    func request(_ message: Message, _ operation: String, tolerating: Set<Int32> = []) throws {
        sequence &+= 1
        let bytes = message.encoded(sequence: sequence)
        let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == bytes.count else { throw Failure(operation: operation, code: sent < 0 ? errno : EIO) }
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(operation: operation, code: errno)
            }
            var offset = 0
            while offset + 16 <= count {
                let length = Int(Self.uint32(buffer, offset))
                let type = Self.uint16(buffer, offset + 4)
                let replySequence = Self.uint32(buffer, offset + 8)
                guard length >= 16, offset + length <= count else { break }
                // NLMSG_ERROR (2) carries the answer: errno 0 is the acknowledgement.
                if type == 2, replySequence == sequence, length >= 20 {
                    let code = -Int32(bitPattern: Self.uint32(buffer, offset + 16))
                    if code == 0 || tolerating.contains(code) { return }
                    throw Failure(operation: operation, code: code)
                }
                offset += (length + 3) & ~3
            }
        }
    }

    private static func uint32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    private static func uint16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
        UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    /// One request: a header's type and flags, a fixed family header, then attributes (nested ones as
    /// `Message`s of their own, without header).
    struct Message {
        static let newLink: UInt16 = 16, deleteLink: UInt16 = 17, newAddress: UInt16 = 20, newRoute: UInt16 = 24
        static let create: UInt16 = 0x400, exclusive: UInt16 = 0x200

        var type: UInt16 = 0
        var flags: UInt16 = 0
        var body: [UInt8] = []

        /// `ifinfomsg`: a link by index (0 for a new one), with flags to set under `change`.
        static func link(_ type: UInt16, flags: UInt16 = 0, index: Int32 = 0, up: Bool = false) -> Message {
            var message = Message(type: type, flags: flags)
            message.body = [0, 0, 0, 0]
            message.append32(UInt32(bitPattern: index))
            message.append32(up ? 1 : 0) // IFF_UP
            message.append32(up ? 1 : 0)
            return message
        }

        /// `ifaddrmsg`: an IPv4 address of the link `index`.
        static func address(index: Int32, prefixLength: UInt8) -> Message {
            var message = Message(type: newAddress, flags: create | exclusive)
            message.body = [2, prefixLength, 0, 0] // AF_INET, prefix, flags, scope universe
            message.append32(UInt32(bitPattern: index))
            return message
        }

        /// `rtmsg`: an IPv4 route of the main table (a default route when `destinationLength` is 0).
        static func route(destinationLength: UInt8) -> Message {
            var message = Message(type: newRoute, flags: create | exclusive)
            // AF_INET, dst len, src len, tos, table main, protocol boot, scope universe, unicast; flags.
            message.body = [2, destinationLength, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0]
            return message
        }

        mutating func attribute(_ type: UInt16, _ value: [UInt8]) {
            let length = 4 + value.count
            append16(UInt16(length))
            append16(type)
            body += value
            body += [UInt8](repeating: 0, count: (4 - length % 4) % 4)
        }

        mutating func attribute(_ type: UInt16, string: String) { attribute(type, Array(string.utf8) + [0]) }

        mutating func attribute(_ type: UInt16, uint32 value: UInt32) {
            attribute(type, [UInt8(value & 0xff), UInt8(value >> 8 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 24)])
        }

        /// A nested attribute holding `inner`'s body.
        mutating func attribute(_ type: UInt16, nested inner: Message) { attribute(type | 0x8000, inner.body) }

        mutating func append16(_ value: UInt16) { body += [UInt8(value & 0xff), UInt8(value >> 8)] }

        mutating func append32(_ value: UInt32) {
            body += [UInt8(value & 0xff), UInt8(value >> 8 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 24)]
        }

        func encoded(sequence: UInt32) -> [UInt8] {
            var header = Message()
            header.append32(UInt32(16 + body.count))
            header.append16(type)
            header.append16(flags | 0x1 | 0x4) // NLM_F_REQUEST | NLM_F_ACK
            header.append32(sequence)
            header.append32(0)
            return header.body + body
        }
    }
}
