import SkiffAPI
/// Why an OpenAPI v2 document could not be encoded as a gnostic `openapi_v2.Document`.
///
/// Every case is a fault of the input document, never of the encoder.
public struct GnosticEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Reason: Sendable, Equatable {
        case notJSON
        case notObject
        case invalidValue
    }

    let reason: Reason
    /// Where in the document the problem is, outermost first (`["definitions", "io.k8s.api.core.v1.Pod", "type"]`).
    public private(set) var path: [String]
    /// What is wrong at `path`.
    public let problem: String

    init(_ reason: Reason, _ problem: String, path: [String] = []) {
        self.reason = reason
        self.problem = problem
        self.path = path
    }

    /// A sentence naming the problem and, where there is one, its place in the document.
    public var message: String {
        path.isEmpty
            ? "OpenAPI v2 document: \(problem)" : "OpenAPI v2 document at \(path.joined(separator: ".")): \(problem)"
    }

    public var description: String { message }

    /// The input is not JSON text.
    public var isNotJSON: Bool { reason == .notJSON }
    /// The input is JSON, but its top-level value is not an object.
    public var isNotObject: Bool { reason == .notObject }

    /// The same error one level further down: `component` is the key or index that led to it.
    func inside(_ component: String) -> GnosticEncodingError {
        var copy = self
        copy.path.insert(component, at: 0)
        return copy
    }

    static func mismatch(expected: String, found value: JSONValue) -> GnosticEncodingError {
        GnosticEncodingError(.invalidValue, "expected \(expected), found \(value.typeName)")
    }
}
