import Foundation
import SkiffAPI

#if canImport(Glibc)
    import Glibc
#endif

/// Why the node's resolver file cannot be used; the pod's sandbox is not made, as upstream's `GetPodDNS` fails it.
struct PodDNSError: Error, Equatable, CustomStringConvertible {
    var description: String
}

/// The node's resolver file, read and parsed as the kubelet's `parseResolvConf` does.
extension PodDNS {
    /// Upstream reads at most this much of the file and refuses a longer one.
    static let maxResolvConfBytes = 10 << 20

    /// The pod's configuration, reading `resolvConf` (when set) for every pod as upstream does, so an edited
    /// node file reaches the next sandbox. Throws when the file cannot be read or has a bare `nameserver`.
    func form(for pod: core.v1.Pod) throws(PodDNSError) -> (config: DNSConfig, warnings: [Warning]) {
        let host = resolvConf.isEmpty ? nil : try Self.parse(Self.read(resolvConf))
        return form(for: pod, host: host)
    }

    /// `nameserver` lines accumulate; the last `search` line and the last `options` line win (as in glibc);
    /// `#` comments and unknown keywords are skipped; search domains lose a trailing dot, so `a.` and `a`
    /// count once.
    static func parse(_ text: String) throws(PodDNSError) -> HostResolver {
        var resolver = HostResolver()
        var errors: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let keyword = fields.first else { continue }
            switch keyword {
            case "nameserver":
                guard fields.count >= 2 else {
                    errors.append("nameserver list is empty ")
                    continue
                }
                resolver.nameservers.append(fields[1])
            case "search":
                resolver.searches = fields.dropFirst().map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 }
            case "options":
                resolver.options = Array(fields.dropFirst())
            default:
                continue
            }
        }
        // Worded as Go's error aggregate: one error alone, several in brackets.
        if errors.count == 1 { throw PodDNSError(description: errors[0]) }
        if errors.count > 1 { throw PodDNSError(description: "[" + errors.joined(separator: ", ") + "]") }
        return resolver
    }

    /// The file's text, at most `maxResolvConfBytes`.
    static func read(_ path: String) throws(PodDNSError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PodDNSError(description: "open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count < 0 { throw PodDNSError(description: "read \(path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
            if bytes.count > maxResolvConfBytes { throw PodDNSError(description: "the read limit is reached") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Kubelet {
    /// The configurer from the configuration; addresses in `clusterDNS` that are not IPs are skipped with a
    /// warning, as upstream's kubelet skips them at start.
    func podDNS() -> PodDNS {
        let servers = configuration.clusterDNS.filter { entry in
            if PodDNS.isIPAddress(entry) { return true }
            logger.warning("invalid clusterDNS IP; skipped", metadata: ["ip": "\(entry)"])
            return false
        }
        if servers.isEmpty {
            logger.info("no cluster DNS: ClusterFirst pods get the node's resolver configuration")
        }
        return PodDNS(clusterDNS: servers, clusterDomain: configuration.clusterDomain,
                      resolvConf: configuration.resolvConf)
    }
}

extension PodDNS {
    /// An IPv4 or IPv6 address in its usual text form.
    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
