import SkiffAPI

/// What an exec or attach request asks for (upstream's `remotecommand.Options`): `command` (exec only),
/// and which of stdin, stdout, stderr and a terminal to use.
public struct RemoteCommandOptions: Sendable, Equatable {
    public var command: [String]
    public var stdin: Bool
    public var stdout: Bool
    /// Never with a terminal, whose output is all on stdout.
    public var stderr: Bool
    public var tty: Bool

    public init(command: [String] = [], stdin: Bool = false, stdout: Bool = true, stderr: Bool = false, tty: Bool = false) {
        self.command = command
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr && !tty
        self.tty = tty
    }

    /// Reads the query (`command=a&command=b&stdin=1&tty=1`); throws a message upstream's kubelet would answer with.
    public init(query: [(String, String)], exec: Bool) throws(RemoteCommandError) {
        func flag(_ name: String) -> Bool {
            guard let value = query.last(where: { $0.0 == name })?.1 else { return false }
            return value == "1" || value.lowercased() == "true"
        }
        self.init(command: query.filter { $0.0 == "command" }.map(\.1), stdin: flag("stdin"), stdout: flag("stdout"),
                  stderr: flag("stderr"), tty: flag("tty"))
        if exec, command.isEmpty {
            throw RemoteCommandError(code: 400, message: "you must specify at least 1 command")
        }
        if !stdin, !stdout, !stderr {
            throw RemoteCommandError(code: 400, message: "you must specify at least 1 of stdin, stdout, stderr")
        }
    }
}

/// A refused streaming request: the HTTP code and the message upstream's kubelet writes as the body.
public struct RemoteCommandError: Error, Sendable, Equatable {
    public var code: Int
    public var message: String
}

/// The `metav1.Status` objects the error stream carries (upstream's remotecommand server writes the same:
/// no kind or apiVersion, an empty `metadata`).
enum StreamStatus {
    static let success = meta.v1.Status(apiVersion: nil, kind: nil, metadata: meta.v1.ListMeta(), status: "Success")

    /// A command's non-zero exit: kubectl turns this into `command terminated with exit code N`.
    static func exitCode(_ code: Int32, command: [String]) -> meta.v1.Status {
        meta.v1.Status(
            apiVersion: nil,
            details: meta.v1.StatusDetails(causes: [meta.v1.StatusCause(message: String(code), reason: "ExitCode")]),
            kind: nil,
            message: "command terminated with non-zero exit code: error executing command [\(command.joined(separator: " "))], exit code \(code)",
            metadata: meta.v1.ListMeta(), reason: "NonZeroExitCode", status: "Failure")
    }

    /// Anything else that went wrong, as `apierrors.NewInternalError` words it.
    static func internalError(_ message: String) -> meta.v1.Status {
        meta.v1.Status(apiVersion: nil, code: 500, details: meta.v1.StatusDetails(causes: [meta.v1.StatusCause(message: message)]),
                       kind: nil, message: "Internal error occurred: \(message)", metadata: meta.v1.ListMeta(),
                       reason: "InternalError", status: "Failure")
    }
}
