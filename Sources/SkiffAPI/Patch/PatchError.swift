/// Why a patch could not be applied; `isMalformed` marks a patch that is not a patch at all (400)
/// rather than one that does not fit the object (422).
public struct PatchError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var isMalformed: Bool

    public init(_ message: String, malformed: Bool = false) {
        self.message = message
        self.isMalformed = malformed
    }

    public var description: String { message }
}
