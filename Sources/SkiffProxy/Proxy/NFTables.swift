import Foundation
import SkiffHost

/// The kernel's nftables, through Debian's `nft` program: a script file applied as one transaction.
public struct NFTables: Sendable {
    /// The `nft` binary.
    public var program: String

    public init(program: String) { self.program = program }

    /// `nft` from the usual places, or nil when the `nftables` package is not installed.
    public static func installed() -> NFTables? {
        ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"].first(where: FileManager.default.isExecutableFile(atPath:))
            .map(NFTables.init(program:))
    }

    /// Applies `script` atomically on a thread of its own (nft can take a second on a large table).
    public func commit(_ script: String) async throws {
        try await OwnThread.run("skiff-nft") { try apply(script) }
    }

    /// Applies `script` atomically: all of it or, when nft refuses any line, none. Blocks while nft runs.
    public func apply(_ script: String) throws {
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("skiff-nft-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).nft")
        try Data(script.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try HostCommand.run(program, ["-f", file.path])
        guard result.succeeded else { throw NFTError(message: result.message) }
    }

    /// The table's current text, or nil when it does not exist.
    public func list(table: String) throws -> String? {
        let result = try HostCommand.run(program, ["list", "table", "ip", table])
        guard result.succeeded else { return nil }
        return String(decoding: result.stdout, as: UTF8.self)
    }

    /// Deletes the table if it exists (`skiff proxy --cleanup`).
    public func deleteTable(_ table: String) throws {
        try apply("add table ip \(table)\ndelete table ip \(table)\n")
    }
}

/// `nft` refused a script; the message is its own.
public struct NFTError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { "nft: \(message)" }
}
