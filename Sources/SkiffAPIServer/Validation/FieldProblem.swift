import SkiffAPI

/// One validation failure at a field path, worded as `k8s.io/apimachinery/pkg/util/validation/field`
/// words it (`Invalid value: "x": detail`); a list of them becomes a 422 Invalid.
struct FieldProblem: Sendable, Equatable {
    var field: String
    var reason: String
    var message: String

    static func required(_ field: String, _ detail: String = "") -> FieldProblem {
        FieldProblem(field: field, reason: "FieldValueRequired", message: "Required value" + (detail.isEmpty ? "" : ": \(detail)"))
    }

    static func invalid(_ field: String, _ value: JSONValue?, _ detail: String) -> FieldProblem {
        FieldProblem(field: field, reason: "FieldValueInvalid", message: "Invalid value: \(display(value)): \(detail)")
    }

    static func forbidden(_ field: String, _ detail: String) -> FieldProblem {
        FieldProblem(field: field, reason: "FieldValueForbidden", message: "Forbidden: \(detail)")
    }

    static func duplicate(_ field: String, _ value: JSONValue?) -> FieldProblem {
        FieldProblem(field: field, reason: "FieldValueDuplicate", message: "Duplicate value: \(display(value))")
    }

    static func notSupported(_ field: String, _ value: JSONValue?, _ supported: [String]) -> FieldProblem {
        let list = supported.map { "\"\($0)\"" }.joined(separator: ", ")
        return FieldProblem(field: field, reason: "FieldValueNotSupported",
                            message: "Unsupported value: \(display(value))" + (supported.isEmpty ? "" : ": supported values: \(list)"))
    }

    static func notFound(_ field: String, _ value: JSONValue?) -> FieldProblem {
        FieldProblem(field: field, reason: "FieldValueNotFound", message: "Not found: \(display(value))")
    }

    static func tooLong(_ field: String, limit: Int) -> FieldProblem {
        FieldProblem(field: field, reason: "FieldValueTooLong", message: "Too long: may not be more than \(limit) bytes")
    }

    /// Each problem `check` finds in `value`, as Invalid errors at `field`.
    static func each(_ field: String, _ value: String, _ check: (String) -> [String]) -> [FieldProblem] {
        check(value).map { invalid(field, .string(value), $0) }
    }

    /// How field errors print a value: strings quoted, numbers and booleans bare, the rest as JSON.
    static func display(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: return "null"
        default: return value?.jsonString ?? "null"
        }
    }

    static func invalid(group: String, kind: String, name: String, _ problems: [FieldProblem]) -> APIError {
        .invalid(group: group, kind: kind, name: name,
                 causes: problems.map { .init(reason: $0.reason, message: $0.message, field: $0.field) },
                 errorStrings: problems.map { "\($0.field): \($0.message)" })
    }
}
