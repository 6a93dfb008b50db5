/// The kubelet endpoints this server answers, by upstream's paths.
enum KubeletRoute: Equatable {
    case containerLogs(namespace: String, pod: String, container: String)
    /// `/exec/{namespace}/{pod}[/{uid}]/{container}`.
    case exec(namespace: String, pod: String, container: String)
    case attach(namespace: String, pod: String, container: String)
    /// `/portForward/{namespace}/{pod}[/{uid}]`.
    case portForward(namespace: String, pod: String)
    case healthz
    case notFound

    var namespaceAndPod: (String, String)? {
        switch self {
        case .containerLogs(let n, let p, _), .exec(let n, let p, _), .attach(let n, let p, _), .portForward(let n, let p):
            (n, p)
        case .healthz, .notFound: nil
        }
    }

    /// The container the request names (nil for port-forward and healthz).
    var container: String? {
        switch self {
        case .exec(_, _, let container), .attach(_, _, let container), .containerLogs(_, _, let container): container
        default: nil
        }
    }

    var isExec: Bool {
        if case .exec = self { true } else { false }
    }

    /// The route of `uri` and its decoded query items (in order, repeated names kept).
    static func parse(uri: String) -> (KubeletRoute, [(String, String)]) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let query = parts.count > 1 ? decodeQuery(String(parts[1])) : []
        let segments = parts[0].split(separator: "/").map { percentDecode(String($0), plusIsSpace: false) }
        guard let first = segments.first else { return (.notFound, query) }
        let rest = Array(segments.dropFirst())
        switch (first, rest.count) {
        case ("healthz", 0):
            return (.healthz, query)
        case ("containerLogs", 3):
            return (.containerLogs(namespace: rest[0], pod: rest[1], container: rest[2]), query)
        case ("exec", 3), ("exec", 4):
            return (.exec(namespace: rest[0], pod: rest[1], container: rest[rest.count - 1]), query)
        case ("attach", 3), ("attach", 4):
            return (.attach(namespace: rest[0], pod: rest[1], container: rest[rest.count - 1]), query)
        case ("portForward", 2), ("portForward", 3):
            return (.portForward(namespace: rest[0], pod: rest[1]), query)
        default:
            return (.notFound, query)
        }
    }

    /// `a=1&b=x+y&c=%2F` as Go's `url.ParseQuery` reads it.
    static func decodeQuery(_ text: String) -> [(String, String)] {
        text.split(separator: "&").compactMap { pair in
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecode(String(kv[0]), plusIsSpace: true)
            guard !key.isEmpty else { return nil }
            return (key, kv.count > 1 ? percentDecode(String(kv[1]), plusIsSpace: true) : "")
        }
    }

    static func percentDecode(_ text: String, plusIsSpace: Bool) -> String {
        var bytes: [UInt8] = []
        var input = Array(text.utf8)[...]
        while let byte = input.popFirst() {
            if byte == 0x25, input.count >= 2, let value = UInt8(String(decoding: input.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                input = input.dropFirst(2)
            } else if byte == 0x2B, plusIsSpace {
                bytes.append(0x20)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
