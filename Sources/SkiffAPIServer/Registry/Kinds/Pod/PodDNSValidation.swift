import Foundation
import SkiffAPI

#if canImport(Glibc)
    import Glibc
#endif

/// `validatePodDNSConfig` (Kubernetes 1.32): a `None` policy needs a `dnsConfig` with a nameserver; at most
/// 3 nameservers, each an IP; at most 32 search domains, 2,048 characters in all, each a DNS-1123
/// subdomain (a trailing dot allowed); options with names. The kubelet trims only what got past this.
enum PodDNSValidation {
    static let maxNameservers = 3
    static let maxSearchPaths = 32
    static let maxSearchListChars = 2048

    /// The problems of `spec.dnsConfig` under `spec.dnsPolicy`; `path` is the spec's (`spec`, `spec.template.spec`).
    static func validate(_ spec: JSONValue, at path: String) -> [FieldProblem] {
        let field = "\(path).dnsConfig"
        // JSON's null is no dnsConfig, as Go decodes it to a nil pointer.
        var config = spec["dnsConfig"]
        if config == JSONValue.null { config = Optional.none }
        let nameservers = (config?["nameservers"]?.arrayValue ?? []).map { $0.stringValue ?? "" }
        if spec["dnsPolicy"]?.stringValue == "None" {
            guard config != nil else { return [.required(field, "must provide `dnsConfig` when `dnsPolicy` is None")] }
            if nameservers.isEmpty {
                let detail = "must provide at least one DNS nameserver when `dnsPolicy` is None"
                return [.required("\(field).nameservers", detail)]
            }
        }
        guard let config else { return [] }
        var problems: [FieldProblem] = []
        if nameservers.count > maxNameservers {
            let detail = "must not have more than \(maxNameservers) nameservers"
            problems.append(invalidList("\(field).nameservers", nameservers, detail))
        }
        for (i, server) in nameservers.enumerated() where !isIPAddress(server) {
            problems.append(.invalid("\(field).nameservers[\(i)]", .string(server),
                                     "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
        }
        let searches = (config["searches"]?.arrayValue ?? []).map { $0.stringValue ?? "" }
        if searches.count > maxSearchPaths {
            let detail = "must not have more than \(maxSearchPaths) search paths"
            problems.append(invalidList("\(field).searches", searches, detail))
        }
        // The spaces between domains count: glibc reads the line as one buffer.
        if searches.joined(separator: " ").utf8.count > maxSearchListChars {
            let detail = "must not have more than \(maxSearchListChars) characters (including spaces) in the search list"
            problems.append(invalidList("\(field).searches", searches, detail))
        }
        for (i, search) in searches.enumerated() {
            let domain = search.hasSuffix(".") ? String(search.dropLast()) : search
            problems += FieldProblem.each("\(field).searches[\(i)]", domain, NameValidation.dns1123Subdomain)
        }
        for (i, option) in (config["options"]?.arrayValue ?? []).enumerated() {
            if (option["name"]?.stringValue ?? "").isEmpty { problems.append(.required("\(field).options[\(i)]", "must not be empty")) }
        }
        return problems
    }

    /// An Invalid error whose value is a list of strings, printed as Go's `%#v` prints a `[]string`.
    static func invalidList(_ field: String, _ values: [String], _ detail: String) -> FieldProblem {
        let quoted = values.map { value in
            "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return FieldProblem(field: field, reason: "FieldValueInvalid",
                            message: "Invalid value: []string{\(quoted.joined(separator: ", "))}: \(detail)")
    }

    /// An IPv4 or IPv6 address in its usual text form.
    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
