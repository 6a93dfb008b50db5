/// An image reference, parsed and normalised as Kubernetes does (docker/distribution's
/// `ParseNormalizedNamed`): `busybox` is `docker.io/library/busybox:latest`.
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    /// The registry host, with its port if any (`docker.io`, `localhost:5000`).
    public let domain: String
    /// The repository path inside the registry (`library/busybox`).
    public let path: String
    /// The tag as written; nil when none was given.
    public let tag: String?
    /// The manifest digest as written (`sha256:…`); nil when none was given.
    public let digest: Digest?

    public static let defaultDomain = "docker.io"
    public static let defaultTag = "latest"

    /// `domain/path`: the repository name (`docker.io/library/busybox`).
    public var repository: String { "\(domain)/\(path)" }

    /// The tag the kubelet uses: the given one, else `latest` unless a digest pins the image.
    public var effectiveTag: String? { tag ?? (digest == nil ? Self.defaultTag : nil) }

    /// The full normalised form, `docker.io/library/busybox:latest` or `…/busybox@sha256:…`.
    public var description: String {
        var text = repository
        if let effectiveTag { text += ":\(effectiveTag)" }
        if let digest { text += "@\(digest)" }
        return text
    }

    /// References are equal when their normalised forms are (`busybox` == `busybox:latest`).
    public static func == (lhs: ImageReference, rhs: ImageReference) -> Bool { lhs.description == rhs.description }
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }

    /// Parses and normalises `text`; throws `ImageError` (`invalidReference`) with docker's wording.
    public init(parsing text: String) throws {
        func invalid(_ why: String) -> ImageError { .invalidReference(text, why) }
        if text.isEmpty { throw invalid("repository name must have at least one component") }
        if text.count == 64, text.allSatisfy(\.isLowercaseHex) {
            throw invalid("cannot specify 64-byte hexadecimal strings as a repository name")
        }
        // Split off the digest first: '@' cannot occur anywhere else.
        var rest = Substring(text)
        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            let digestText = String(rest[rest.index(after: at)...])
            guard Self.isDigestSyntax(digestText) else { throw invalid("invalid digest format \"\(digestText)\"") }
            do { digest = try Digest(parsing: digestText) } catch {
                throw invalid("unsupported or malformed digest \"\(digestText)\"")
            }
            rest = rest[..<at]
        }
        // The domain: the first component when it looks like a host (has '.' or ':', is localhost, or has uppercase).
        var domain = Self.defaultDomain
        if let slash = rest.firstIndex(of: "/") {
            let first = rest[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.lowercased() != first {
                domain = String(first)
                rest = rest[rest.index(after: slash)...]
            }
        }
        if domain == "index.docker.io" { domain = Self.defaultDomain }
        // The tag: after a ':' in the remainder (path components never hold one).
        var tag: String?
        if let colon = rest.lastIndex(of: ":") {
            let tagText = String(rest[rest.index(after: colon)...])
            guard Self.isTag(tagText) else { throw invalid("invalid tag \"\(tagText)\"") }
            tag = tagText
            rest = rest[..<colon]
        }
        var path = String(rest)
        if path.lowercased() != path { throw invalid("repository name (\(path)) must be lowercase") }
        if domain == Self.defaultDomain, !path.contains("/") { path = "library/" + path }
        guard Self.isDomain(domain) else { throw invalid("invalid registry host \"\(domain)\"") }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        for component in components where !Self.isPathComponent(component) {
            throw invalid(
                component.isEmpty
                    ? "repository name has an empty component"
                    : "invalid repository name component \"\(component)\"")
        }
        if domain.count + 1 + path.count > 255 { throw invalid("repository name must not be more than 255 characters") }
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// The same repository with `tag`, and no digest.
    public func withTag(_ tag: String) -> ImageReference {
        ImageReference(domain: domain, path: path, tag: tag, digest: nil)
    }

    private init(domain: String, path: String, tag: String?, digest: Digest?) {
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// `[a-z0-9]+` separated by `.`, `_`, `__` or runs of `-`.
    static func isPathComponent(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, let last = bytes.last, first.isLowerAlnum, last.isLowerAlnum else {
            return false
        }
        var i = 0
        while i < bytes.count {
            if bytes[i].isLowerAlnum {
                i += 1
                continue
            }
            var j = i
            while j < bytes.count, !bytes[j].isLowerAlnum { j += 1 }
            let separator = bytes[i..<j]
            let ok =
                separator.elementsEqual([UInt8(ascii: ".")]) || separator.elementsEqual([UInt8(ascii: "_")])
                || separator.elementsEqual([UInt8(ascii: "_"), UInt8(ascii: "_")])
                || separator.allSatisfy { $0 == UInt8(ascii: "-") }
            if !ok { return false }
            i = j
        }
        return true
    }

    /// `host[:port]`, host being DNS labels joined by dots or a bracketed IPv6 address.
    static func isDomain(_ text: String) -> Bool {
        var host = Substring(text)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let inside = host[host.index(after: host.startIndex)..<close]
            guard !inside.isEmpty, inside.allSatisfy({ $0.isHexDigit || $0 == ":" }) else { return false }
            host = host[host.index(after: close)...]
            if host.isEmpty { return true }
            guard host.hasPrefix(":") else { return false }
            let port = host.dropFirst()
            return !port.isEmpty && port.allSatisfy(\.isASCIIDigit)
        }
        if let colon = host.lastIndex(of: ":") {
            let port = host[host.index(after: colon)...]
            guard !port.isEmpty, port.allSatisfy(\.isASCIIDigit) else { return false }
            host = host[..<colon]
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            guard let first = label.first, let last = label.last else { return false }
            return first.isASCIIAlnum && last.isASCIIAlnum && label.allSatisfy { $0.isASCIIAlnum || $0 == "-" }
        }
    }

    /// `[\w][\w.-]{0,127}`.
    static func isTag(_ text: String) -> Bool {
        guard let first = text.first, text.count <= 128, first.isWord else { return false }
        return text.allSatisfy { $0.isWord || $0 == "." || $0 == "-" }
    }

    /// `algorithm:hex` with at least 32 hex digits, as the reference grammar requires.
    static func isDigestSyntax(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":") else { return false }
        let algorithm = text[..<colon]
        let hex = text[text.index(after: colon)...]
        guard let first = algorithm.first, first.isLetter, first.isASCII else { return false }
        return algorithm.allSatisfy { $0.isASCIIAlnum || "-_+.".contains($0) } && hex.count >= 32
            && hex.allSatisfy(\.isHexDigit)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIIAlnum: Bool { isASCII && (isLetter || isNumber) }
    var isWord: Bool { isASCIIAlnum || self == "_" }
    var isLowercaseHex: Bool { ("0"..."9").contains(self) || ("a"..."f").contains(self) }
}

extension UInt8 {
    var isLowerAlnum: Bool { (0x61...0x7A).contains(self) || (0x30...0x39).contains(self) }
}
