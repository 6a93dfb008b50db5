public import SkiffJSON

/// Why a JSON value could not become a typed model, and where: `spec.template.spec.containers[0].ports`.
public struct ModelDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One step of the path from the decoded document to the offending value.
    public enum PathComponent: Sendable, Hashable {
        case field(String)
        case index(Int)
        case key(String)
    }

    private enum Reason: Sendable, Equatable {
        case typeMismatch(expected: String, found: String)
        case missingField
        case invalidValue(String)
    }

    private let reason: Reason

    /// The path to the offending value, outermost step first; empty for the document itself.
    public private(set) var pathComponents: [PathComponent] = []

    /// The path as Kubernetes field paths print it: `spec.containers[0].resources.limits[cpu]`.
    public var path: String {
        var out = ""
        for component in pathComponents {
            switch component {
            case .field(let name):
                if !out.isEmpty { out += "." }
                out += name
            case .index(let i): out += "[\(i)]"
            case .key(let k): out += "[\(k)]"
            }
        }
        return out
    }

    /// True when the value had the wrong JSON type (a string where an integer belongs).
    public var isTypeMismatch: Bool { if case .typeMismatch = reason { true } else { false } }

    /// True when a required field that has no zero value (an object, a quantity) was missing or null.
    public var isMissingField: Bool { reason == .missingField }

    /// True when the value had the right JSON type but not a valid form (a malformed quantity or time).
    public var isInvalidValue: Bool { if case .invalidValue = reason { true } else { false } }

    public var description: String {
        let message: String
        switch reason {
        case .typeMismatch(let expected, let found): message = "expected \(expected), found \(found)"
        case .missingField: message = "required field is missing"
        case .invalidValue(let detail): message = detail
        }
        return pathComponents.isEmpty ? message : "\(path): \(message)"
    }

    /// A value of the wrong JSON type.
    public static func typeMismatch(expected: String, found value: JSONValue) -> ModelDecodingError {
        ModelDecodingError(reason: .typeMismatch(expected: expected, found: value.typeName))
    }

    /// A value of the wrong JSON type, as a reader saw it.
    public static func typeMismatch(expected: String, found kind: JSONReader.Kind) -> ModelDecodingError {
        ModelDecodingError(reason: .typeMismatch(expected: expected, found: kind.name))
    }

    /// A required field with no zero value that is missing or null.
    public static var missingField: ModelDecodingError { ModelDecodingError(reason: .missingField) }

    /// A value of the right JSON type whose content is not valid; `detail` says why.
    public static func invalidValue(_ detail: String) -> ModelDecodingError {
        ModelDecodingError(reason: .invalidValue(detail))
    }

    /// This error, seen from one level further out.
    public func prefixed(with component: PathComponent) -> ModelDecodingError {
        var copy = self
        copy.pathComponents.insert(component, at: 0)
        return copy
    }
}
