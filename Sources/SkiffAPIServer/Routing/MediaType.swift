import SkiffAPI

/// One entry of an `Accept` or `Content-Type` header: `application/json;as=Table;v=v1;g=meta.k8s.io`.
struct MediaType: Sendable, Equatable {
    var type: String
    var subtype: String
    var parameters: [String: String]

    init(type: String, subtype: String, parameters: [String: String] = [:]) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
    }

    /// Parses one media type; `nil` when it has no `type/subtype`.
    init?(parsing text: Substring) {
        let parts = text.split(separator: ";")
        guard let first = parts.first else { return nil }
        let full = first.trimmingSpaces().lowercased()
        guard let slash = full.firstIndex(of: "/") else {
            if full == "*" {
                type = "*"
                subtype = "*"
                parameters = [:]
                return
            }
            return nil
        }
        type = String(full[..<slash])
        subtype = String(full[full.index(after: slash)...])
        var params: [String: String] = [:]
        for p in parts.dropFirst() {
            guard let eq = p.firstIndex(of: "=") else { continue }
            let key = p[..<eq].trimmingSpaces().lowercased()
            var value = p[p.index(after: eq)...].trimmingSpaces()
            if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            params[key] = value
        }
        parameters = params
    }

    /// All entries of an `Accept` header, in the client's order (q-values are ignored: clients list preferences first).
    static func parseList(_ header: String?) -> [MediaType] {
        guard let header, !header.isEmpty else { return [] }
        return header.split(separator: ",").compactMap { MediaType(parsing: $0) }
    }

    var essence: String { "\(type)/\(subtype)" }

    var isJSON: Bool { essence == "application/json" }
    var isYAML: Bool { essence == "application/yaml" || essence == "text/yaml" || essence == "application/x-yaml" }
    var isWildcard: Bool { (type == "*" && subtype == "*") || (type == "application" && subtype == "*") }
    var isProtobuf: Bool { essence == "application/vnd.kubernetes.protobuf" }

    /// `as=Table` etc. for the `meta.k8s.io` group.
    var asKind: String? {
        guard let kind = parameters["as"] else { return nil }
        return kind
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

extension String {
    func trimmingSpaces() -> String { self[...].trimmingSpaces() }
}

/// How a response body should be written, chosen from the `Accept` header.
enum OutputFormat: Sendable, Equatable {
    case json
    case yaml
    /// `meta.k8s.io/v1` (or v1beta1) Table; `includeObject` from the query (None, Metadata, Object).
    case table(version: String, includeObject: String)
    /// PartialObjectMetadata(List) of `meta.k8s.io/v1` (or v1beta1).
    case partialMetadata(version: String)

    /// Negotiates the output of a resource request; throws 406 when nothing acceptable is offered.
    static func negotiate(accept: String?, includeObject: String?) throws(APIError) -> OutputFormat {
        let types = MediaType.parseList(accept)
        if types.isEmpty { return .json }
        for media in types {
            if media.isJSON || media.isYAML {
                if let kind = media.asKind {
                    let group = media.parameters["g"] ?? ""
                    let version = media.parameters["v"] ?? ""
                    guard group == "meta.k8s.io", version == "v1" || version == "v1beta1" else { continue }
                    switch kind {
                    case "Table": return .table(version: version, includeObject: includeObject ?? "Metadata")
                    case "PartialObjectMetadata", "PartialObjectMetadataList": return .partialMetadata(version: version)
                    default: continue
                    }
                }
                return media.isYAML ? .yaml : .json
            }
            if media.isWildcard { return .json }
        }
        throw .notAcceptable("only the following media types are accepted: application/json, application/yaml")
    }
}
