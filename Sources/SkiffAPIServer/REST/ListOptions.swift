import SkiffAPI

/// Upstream's ListOptions checks (`ValidateListOptions` and the resourceVersion parse of its storage), with
/// its codes and words, for lists, watches and gets.
enum ListOptions {
    /// A resourceVersion as storage parses it: a uint64. Anything else is storage's `InvalidError`, which
    /// upstream's API server passes on as a 500 with no reason.
    static func revision(_ text: String) throws(APIError) -> Int64 {
        guard let value = UInt64(text), let revision = Int64(exactly: value) else {
            throw .unknown(parseError(text))
        }
        return revision
    }

    static func parseError(_ text: String) -> String {
        "resourceVersion: Invalid value: \(JSONValue.string(text).jsonString): strconv.ParseUint: parsing \(JSONValue.string(text).jsonString): invalid syntax"
    }

    /// The checks of a list or watch request's options (422 `ListOptions.meta.k8s.io "" is invalid`).
    static func validate(_ request: RESTRequest, watch: Bool) throws(APIError) {
        _ = try request.integer("timeoutSeconds")
        _ = try request.integer("limit")
        let query = request.query
        let resourceVersion = query["resourceVersion"] ?? ""
        let match = query["resourceVersionMatch"] ?? ""
        var problems: [FieldProblem] = []
        if watch {
            if query.has("sendInitialEvents") {
                if match != "NotOlderThan" {
                    problems.append(.forbidden("resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"))
                }
            } else if !match.isEmpty {
                problems.append(.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"))
            }
        } else {
            if query.has("sendInitialEvents") {
                problems.append(.forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"))
            }
            switch match {
            case "": break
            case "Exact", "NotOlderThan":
                if resourceVersion.isEmpty {
                    problems.append(.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided"))
                } else if !(query["continue"] ?? "").isEmpty {
                    problems.append(.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"))
                } else if match == "Exact", resourceVersion == "0" {
                    problems.append(.forbidden("resourceVersionMatch", "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""))
                }
            default:
                problems.append(.notSupported("resourceVersionMatch", .string(match), ["Exact", "NotOlderThan", ""]))
            }
        }
        if !problems.isEmpty { throw FieldProblem.invalid(group: "meta.k8s.io", kind: "ListOptions", name: "", problems) }
    }
}
