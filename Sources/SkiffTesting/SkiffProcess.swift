public import Foundation

/// The `skiff` binary this test build produced, run as a child process (a component started apart from
/// the server, as a user would run it). Stop it with `stop()`; its output goes to a log file.
public final class SkiffProcess: Sendable {
    public let arguments: [String]
    /// Where stdout and stderr went, for a failure message.
    public let logFile: URL
    let child: TestChild

    /// `SKIFF_BINARY`, else the `skiff` next to the running test bundle (SwiftPM puts every product of a
    /// build in one directory).
    public static func locate() -> String? {
        if let explicit = ProcessInfo.processInfo.environment["SKIFF_BINARY"] { return explicit }
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let candidate = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("skiff").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    /// Starts `skiff arguments...`, through `launcher` when given (`setpriv --reuid=… --`: as another user), from
    /// `binary` when given (a copy another user can execute).
    public init(_ arguments: [String], launcher: [String] = [], binary given: String? = nil) throws {
        guard let binary = given ?? Self.locate() else {
            throw TestServerError(message: "the skiff binary is not built next to the tests (run `swift build --build-tests`)")
        }
        self.arguments = arguments
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-child-\(UUID().uuidString.prefix(8)).log")
        guard FileManager.default.createFile(atPath: logFile.path, contents: nil) else {
            throw TestServerError(message: "cannot create \(logFile.path)")
        }
        let output = open(logFile.path, O_WRONLY | O_APPEND | O_CLOEXEC)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer {
            close(output)
            close(null)
        }
        guard output >= 0, null >= 0 else { throw TestServerError(message: "cannot open \(logFile.path) or /dev/null") }
        let path = launcher.first ?? binary
        let argv = launcher.isEmpty ? arguments : Array(launcher.dropFirst()) + [binary] + arguments
        child = try TestChild(path: path, arguments: argv, environment: ProcessInfo.processInfo.environment,
                              stdin: null, stdout: output, stderr: output)
    }

    public var isRunning: Bool { child.isRunning }

    /// What the process printed so far.
    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// SIGTERM, then SIGKILL after `grace`; waits for the exit off the cooperative pool. The grace is
    /// generous, for a loaded CI machine.
    public func stop(grace: Duration = .seconds(20)) async -> Int32 {
        let child = self.child
        child.signal(SIGTERM)
        let deadline = ContinuousClock.now + grace
        while child.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        child.signal(SIGKILL)
        let status = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            DispatchQueue.global().async { continuation.resume(returning: child.wait()) }
        }
        try? FileManager.default.removeItem(at: logFile)
        return status
    }

    /// Runs `skiff arguments...` to completion (a command expected to exit, e.g. on bad flags).
    public static func run(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> Kubectl.Result {
        guard let binary = locate() else {
            throw TestServerError(message: "the skiff binary is not built next to the tests (run `swift build --build-tests`)")
        }
        return try await Kubectl.runProcess(binary, arguments, timeout: timeout)
    }
}

/// Polls `condition` every 100 ms until it holds (true) or `timeout` passes (false); errors count as "not yet".
public func waitUntil(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return (try? await condition()) == true
}
