/// An error as the Kubernetes API reports it: a `Status` with code, reason, message and details.
/// Constructors mirror apimachinery's `errors.NewNotFound`, `NewConflict`, … and produce the same
/// messages; callers branch on predicates (`isNotFound`, `isConflict`, …).
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One field-level cause (`details.causes[]`).
    public struct Cause: Sendable, Equatable {
        public var reason: String
        public var message: String
        public var field: String?

        public init(reason: String, message: String, field: String? = nil) {
            self.reason = reason
            self.message = message
            self.field = field
        }
    }

    public var code: Int
    /// `StatusReason`: NotFound, AlreadyExists, Conflict, Invalid, BadRequest, Expired, …
    public var reason: String
    public var message: String
    /// `details.name`, `.group`, `.kind` (the resource or kind name), `.causes`, `.retryAfterSeconds`.
    public var name: String?
    public var group: String?
    public var kind: String?
    public var causes: [Cause]
    public var retryAfterSeconds: Int?
    /// Writes `"details":{}` even when empty, as upstream's `NewGenericServerResponse` (routing errors) does.
    public var emptyDetails = false

    public init(code: Int, reason: String, message: String, name: String? = nil, group: String? = nil,
                kind: String? = nil, causes: [Cause] = [], retryAfterSeconds: Int? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { message }

    public var isNotFound: Bool { reason == "NotFound" }
    public var isAlreadyExists: Bool { reason == "AlreadyExists" }
    public var isConflict: Bool { reason == "Conflict" }
    public var isInvalid: Bool { reason == "Invalid" }
    public var isBadRequest: Bool { reason == "BadRequest" }
    /// A `410 Gone`: the requested resourceVersion is no longer available (re-list).
    public var isExpired: Bool { code == 410 || reason == "Expired" || reason == "Gone" }
    public var isForbidden: Bool { reason == "Forbidden" }
    public var isUnauthorized: Bool { reason == "Unauthorized" }
    public var isTooManyRequests: Bool { code == 429 }
    public var isServerTimeout: Bool { reason == "ServerTimeout" || reason == "Timeout" }
    public var isInternalError: Bool { reason == "InternalError" }

    // MARK: - Constructors (apimachinery/pkg/api/errors)

    /// `pods "web" not found` (resource is `pods` or `deployments.apps`).
    public static func notFound(group: String, resource: String, name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "\(qualified(resource, group)) \"\(name)\" not found",
                 name: name, group: group, kind: resource)
    }

    public static func alreadyExists(group: String, resource: String, name: String) -> APIError {
        APIError(code: 409, reason: "AlreadyExists", message: "\(qualified(resource, group)) \"\(name)\" already exists",
                 name: name, group: group, kind: resource)
    }

    /// `Operation cannot be fulfilled on configmaps "cfg": <detail>`.
    public static func conflict(group: String, resource: String, name: String, detail: String) -> APIError {
        APIError(code: 409, reason: "Conflict",
                 message: "Operation cannot be fulfilled on \(qualified(resource, group)) \"\(name)\": \(detail)",
                 name: name, group: group, kind: resource)
    }

    /// The optimistic-concurrency conflict of an update with a stale resourceVersion.
    public static func staleResourceVersion(group: String, resource: String, name: String) -> APIError {
        conflict(group: group, resource: resource, name: name,
                 detail: "the object has been modified; please apply your changes to the latest version and try again")
    }

    /// `Pod "x" is invalid: <errors>` with one cause per field error (`kind` is `Pod` or `Deployment.apps`).
    public static func invalid(group: String, kind: String, name: String, causes: [Cause], errorStrings: [String])
        -> APIError
    {
        let detail: String
        switch errorStrings.count {
        case 0: detail = "<nil>"
        case 1: detail = errorStrings[0]
        default: detail = "[" + errorStrings.joined(separator: ", ") + "]"
        }
        return APIError(code: 422, reason: "Invalid", message: "\(qualified(kind, group, separator: ".")) \"\(name)\" is invalid: \(detail)",
                        name: name, group: group, kind: kind, causes: causes)
    }

    public static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    /// `410 Gone` with reason `Expired`, as for a watch from a compacted resourceVersion.
    public static func expired(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    public static func gone(_ message: String) -> APIError {
        APIError(code: 410, reason: "Gone", message: message)
    }

    public static func methodNotSupported(group: String, resource: String, verb: String) -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed",
                 message: "\(verb) is not supported on resources of kind \"\(qualified(resource, group))\"",
                 group: group, kind: resource)
    }

    /// A path under a served group version that names nothing (go-restful found no route).
    public static var routeNotFound: APIError {
        var error = APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        error.emptyDetails = true
        return error
    }

    /// A method the route does not take (go-restful's 405, as upstream's API server words it).
    public static var methodNotAllowed: APIError {
        var error = APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
        error.emptyDetails = true
        return error
    }

    /// A Go error that is no API Status: 500 with no reason (`StatusReasonUnknown`), the error's text as message.
    public static func unknown(_ message: String) -> APIError {
        APIError(code: 500, reason: "", message: message)
    }

    public static func requestEntityTooLarge(_ message: String) -> APIError {
        APIError(code: 413, reason: "RequestEntityTooLarge", message: "Request entity too large: \(message)")
    }

    public static func unsupportedMediaType(_ message: String) -> APIError {
        APIError(code: 415, reason: "UnsupportedMediaType", message: message)
    }

    public static func notAcceptable(_ message: String) -> APIError {
        APIError(code: 406, reason: "NotAcceptable", message: message)
    }

    public static func unauthorized(_ message: String = "Unauthorized") -> APIError {
        APIError(code: 401, reason: "Unauthorized", message: message)
    }

    /// `pods "x" is forbidden: <detail>`.
    public static func forbidden(group: String, resource: String, name: String, detail: String, causes: [Cause] = [])
        -> APIError
    {
        let subject = name.isEmpty ? qualified(resource, group) : "\(qualified(resource, group)) \"\(name)\""
        return APIError(code: 403, reason: "Forbidden", message: "\(subject) is forbidden: \(detail)", name: name,
                        group: group, kind: resource, causes: causes)
    }

    public static func internalError(_ message: String) -> APIError {
        APIError(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)",
                 causes: [Cause(reason: "", message: message)])
    }

    public static func serviceUnavailable(_ message: String) -> APIError {
        APIError(code: 503, reason: "ServiceUnavailable", message: message)
    }

    public static func timeout(_ message: String, retryAfterSeconds: Int? = nil) -> APIError {
        APIError(code: 504, reason: "Timeout", message: message, retryAfterSeconds: retryAfterSeconds)
    }

    static func qualified(_ name: String, _ group: String, separator: String = ".") -> String {
        group.isEmpty ? name : "\(name)\(separator)\(group)"
    }
}

// MARK: - Status objects

extension APIError {
    /// This error as a `meta/v1` `Status` object.
    public var status: JSONValue {
        var status: JSONValue = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message),
        ]
        // StatusReasonUnknown ("") is omitted, as Go's omitempty leaves it out.
        if !reason.isEmpty { status["reason"] = .string(reason) }
        var details = JSONObject()
        if let name, !name.isEmpty { details["name"] = .string(name) }
        if let group, !group.isEmpty { details["group"] = .string(group) }
        if let kind, !kind.isEmpty { details["kind"] = .string(kind) }
        if !causes.isEmpty {
            details["causes"] = .array(causes.map { cause in
                var c: JSONValue = ["reason": .string(cause.reason), "message": .string(cause.message)]
                if let field = cause.field { c["field"] = .string(field) }
                return c
            })
        }
        if let retryAfterSeconds { details["retryAfterSeconds"] = .int(Int64(retryAfterSeconds)) }
        if !details.isEmpty || emptyDetails { status["details"] = .object(details) }
        status["code"] = .int(Int64(code))
        return status
    }

    /// Reads a `Status` object returned by a server; `nil` when `value` is not a failure Status.
    public init?(status value: JSONValue) {
        guard value["kind"]?.stringValue == "Status", value["status"]?.stringValue != "Success" else { return nil }
        let details = value["details"]
        self.init(
            code: Int(value["code"]?.intValue ?? 500),
            reason: value["reason"]?.stringValue ?? "",
            message: value["message"]?.stringValue ?? "",
            name: details?["name"]?.stringValue,
            group: details?["group"]?.stringValue,
            kind: details?["kind"]?.stringValue,
            causes: (details?["causes"]?.arrayValue ?? []).map {
                Cause(reason: $0["reason"]?.stringValue ?? "", message: $0["message"]?.stringValue ?? "",
                      field: $0["field"]?.stringValue)
            },
            retryAfterSeconds: details?["retryAfterSeconds"]?.intValue.map { Int($0) }
        )
    }
}
