public import SkiffAPI
/// Why a `application/vnd.kubernetes.protobuf` body could not be turned into JSON.
///
/// Every case is the client's fault (a `400 Bad Request`), except `isInternal`: the built-in message table is broken.
public struct KubernetesProtobufError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Reason: Sendable, Equatable {
        case notProtobuf
        case malformed
        case missingKind
        case unknownKind
        case unsupported
        case invalidValue
        case internalTable
    }

    let reason: Reason
    /// A sentence naming the problem and, where there is one, the field and byte offset.
    public let message: String

    init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { message }

    /// The body does not start with the Kubernetes protobuf magic `k8s\0`, or is empty.
    public var isNotProtobuf: Bool { reason == .notProtobuf }
    /// The envelope names no kind or apiVersion, or one this server has no protobuf description of.
    public var isUnknownKind: Bool { reason == .unknownKind || reason == .missingKind }
    /// The built-in message table failed to load (a bug, not bad input).
    public var isInternal: Bool { reason == .internalTable }

    /// The error as the API reports it: `400 BadRequest` (or `500` for `isInternal`).
    public var apiError: APIError {
        isInternal ? .internalError(message) : .badRequest(message)
    }

    static func truncated(_ what: String, at offset: Int) -> KubernetesProtobufError {
        KubernetesProtobufError(.malformed, "protobuf body is truncated: \(what) at byte \(offset) runs past the end")
    }

    static func malformed(_ message: String, at offset: Int) -> KubernetesProtobufError {
        KubernetesProtobufError(.malformed, "malformed protobuf body at byte \(offset): \(message)")
    }
}
