/// What went wrong in the image store; `description` is the message a user sees.
public struct ImageError: Error, Sendable, CustomStringConvertible, Equatable {
    enum Kind: Sendable, Equatable {
        case invalidReference, invalidDigest, notFound, badInput, digestMismatch, unsupported, io, ambiguous
    }

    let kind: Kind
    public let description: String

    /// The reference or ID names no image in the store.
    public var isNotFound: Bool { kind == .notFound }
    /// The reference does not follow the image reference grammar.
    public var isInvalidReference: Bool { kind == .invalidReference }
    /// Content did not match the digest that names it.
    public var isDigestMismatch: Bool { kind == .digestMismatch }

    static func invalidReference(_ text: String, _ why: String) -> ImageError {
        ImageError(kind: .invalidReference, description: "invalid image reference \"\(text)\": \(why)")
    }
    static func invalidDigest(_ text: String) -> ImageError {
        ImageError(
            kind: .invalidDigest,
            description: "invalid digest \"\(text)\": expected sha256: and 64 lowercase hex digits")
    }
    static func notFound(_ reference: String) -> ImageError {
        ImageError(kind: .notFound, description: "image \"\(reference)\" not found")
    }
    static func badInput(_ message: String) -> ImageError { ImageError(kind: .badInput, description: message) }
    static func digestMismatch(_ what: String, expected: Digest, actual: Digest) -> ImageError {
        ImageError(kind: .digestMismatch, description: "\(what): digest mismatch: expected \(expected), got \(actual)")
    }
    static func unsupported(_ message: String) -> ImageError { ImageError(kind: .unsupported, description: message) }
    static func io(_ message: String) -> ImageError { ImageError(kind: .io, description: message) }
    static func ambiguous(_ message: String) -> ImageError { ImageError(kind: .ambiguous, description: message) }
}
