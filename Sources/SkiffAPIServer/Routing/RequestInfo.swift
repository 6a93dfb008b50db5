import NIOHTTP1

/// What a resource URL names, as upstream's `RequestInfoFactory` reads it:
/// `/api/v1/namespaces/ns/pods/name/status` → group "", version v1, namespace ns, resource pods,
/// name name, subresource status.
struct RequestInfo: Sendable, Equatable {
    /// "" for the core group (`/api`).
    var group: String
    var version: String
    var namespace: String?
    var resource: String
    var name: String?
    var subresource: String?
    /// Path segments after the subresource (`proxy` paths).
    var extraPath: [String]

    /// Parses a resource path; `nil` when the path is not under `/api/<version>/` or `/apis/<group>/<version>/`
    /// or names no resource (discovery paths).
    init?(path: Substring) {
        var segments = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
            .map { Self.unescape(Substring($0)) }
        guard let prefix = segments.first else { return nil }
        segments.removeFirst()
        switch prefix {
        case "api":
            group = ""
        case "apis":
            guard !segments.isEmpty else { return nil }
            group = segments.removeFirst()
        default:
            return nil
        }
        guard !segments.isEmpty else { return nil }
        version = segments.removeFirst()
        guard !segments.isEmpty else { return nil }
        // `namespaces/<ns>/<resource>...`; `namespaces/<name>` alone, or with its own subresources
        // (status, finalize), is the namespace itself.
        if segments[0] == "namespaces", segments.count >= 3, segments[2] != "status", segments[2] != "finalize" {
            namespace = segments[1]
            segments.removeFirst(2)
        } else {
            namespace = nil
        }
        resource = segments.removeFirst()
        name = segments.isEmpty ? nil : segments.removeFirst()
        subresource = segments.isEmpty ? nil : segments.removeFirst()
        extraPath = segments
    }

    init(group: String, version: String, namespace: String?, resource: String, name: String?, subresource: String?) {
        self.group = group
        self.version = version
        self.namespace = namespace
        self.resource = resource
        self.name = name
        self.subresource = subresource
        self.extraPath = []
    }

    /// The API verb of `method` on this path (`list` vs `get`, `watch` from `?watch=true`, `deletecollection`).
    func verb(method: HTTPMethod, watchParameter: Bool) -> String {
        switch method {
        case .GET, .HEAD:
            if watchParameter { return "watch" }
            return name == nil ? "list" : "get"
        case .POST: return "create"
        case .PUT: return "update"
        case .PATCH: return "patch"
        case .DELETE: return name == nil ? "deletecollection" : "delete"
        default: return method.rawValue.lowercased()
        }
    }

    static func unescape(_ segment: Substring) -> String {
        QueryParameters.decode(segment, plusAsSpace: false)
    }
}
