public import NIOCore
public import NIOHTTP1

/// Who sent a request over TLS with a client certificate our CA signed (CN = user, O = groups).
public struct ClientCertificateIdentity: Sendable, Equatable {
    public var commonName: String
    public var organizations: [String]

    public init(commonName: String, organizations: [String]) {
        self.commonName = commonName
        self.organizations = organizations
    }
}

/// A complete HTTP request: head and body, plus what the connection knows about the peer.
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: ByteBuffer
    /// The verified client certificate's identity, when the client presented one.
    public var clientCertificate: ClientCertificateIdentity?
    public var remoteAddress: SocketAddress?

    public init(head: HTTPRequestHead, body: ByteBuffer, clientCertificate: ClientCertificateIdentity? = nil,
                remoteAddress: SocketAddress? = nil) {
        self.head = head
        self.body = body
        self.clientCertificate = clientCertificate
        self.remoteAddress = remoteAddress
    }

    public var method: HTTPMethod { head.method }

    /// The path without the query, percent-decoded per segment later by the router.
    public var path: Substring {
        let uri = head.uri
        // Searching the UTF-8 view: a Character search would break the whole URI into graphemes.
        if let q = uri.utf8.firstIndex(of: UInt8(ascii: "?")) { return uri[..<q] }
        return uri[...]
    }

    /// The raw query string (after `?`), or empty.
    public var rawQuery: Substring {
        let uri = head.uri
        if let q = uri.utf8.firstIndex(of: UInt8(ascii: "?")) { return uri[uri.utf8.index(after: q)...] }
        return ""
    }

    /// Query parameters, percent-decoded; a repeated parameter keeps every value.
    public var query: QueryParameters { QueryParameters(parsing: rawQuery) }

    public func header(_ name: String) -> String? { head.headers.first(name: name) }
}

/// Decoded query parameters of a URL.
public struct QueryParameters: Sendable {
    var pairs: [(String, String)]

    public init(parsing raw: Substring) {
        pairs = []
        guard !raw.isEmpty else { return }
        for bytes in raw.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let part = Substring(bytes)
            if let eq = part.utf8.firstIndex(of: UInt8(ascii: "=")) {
                pairs.append((Self.decode(part[..<eq]), Self.decode(part[part.utf8.index(after: eq)...])))
            } else {
                pairs.append((Self.decode(part), ""))
            }
        }
    }

    /// The first value of `name`, or `nil` when absent.
    public subscript(name: String) -> String? { pairs.first { $0.0 == name }?.1 }

    /// Every value of `name`, in order.
    public func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }

    public func has(_ name: String) -> Bool { pairs.contains { $0.0 == name } }

    /// A boolean parameter read as upstream's query conversion reads it: absent is false, "0" and
    /// "false" in any case are false, and every other value (`True`, `1`, `yes`, empty) is true.
    public func flag(_ name: String) -> Bool {
        guard let value = self[name] else { return false }
        return value != "0" && value.lowercased() != "false"
    }

    /// Percent-decoding; in query strings `+` is a space (form encoding, as Go's url.ParseQuery reads it).
    static func decode(_ s: Substring, plusAsSpace: Bool = true) -> String {
        guard s.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) else {
            return String(s)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if plusAsSpace, c == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if c == UInt8(ascii: "%"), it.count >= 2, let h = hexValue(it[it.startIndex]),
                let l = hexValue(it[it.startIndex + 1])
            {
                bytes.append(h << 4 | l)
                it = it.dropFirst(2)
            } else {
                bytes.append(c)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
