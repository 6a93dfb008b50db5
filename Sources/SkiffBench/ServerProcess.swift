public import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SkiffAPI

/// A `skiff` server started as a child process on a fresh data directory and a free port, so its
/// start-up time and memory can be measured apart from the load generator.
public final class ServerProcess: @unchecked Sendable {
    public let process: Process
    public let dataDirectory: URL
    public let port: Int
    /// Seconds from spawning the process to the first 200 from `/readyz`.
    public private(set) var readySeconds: Double = 0
    public private(set) var target: BenchTarget

    /// Starts `binary <command> ...` (`server`, or `apiserver` for the API server alone) and waits until it is ready;
    /// on `dataDirectory` when given (prepared beforehand, e.g. with images), else on a fresh one.
    public init(binary: String, command: String = "server", arguments: [String] = [], datastore: String = "sqlite",
                dataDirectory: URL? = nil) async throws
    {
        self.dataDirectory = dataDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("skiff-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: self.dataDirectory, withIntermediateDirectories: true)
        port = try Self.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [command, "--data-dir", self.dataDirectory.path, "--port", String(port), "--datastore", datastore,
                             "--log-level", "warning"] + arguments
        let log = FileHandle(forWritingAtPath: "/dev/null")
        process.standardOutput = log
        process.standardError = log
        target = BenchTarget(host: "127.0.0.1", port: port, caPEM: "", token: "")
        let start = DispatchTime.now().uptimeNanoseconds
        try process.run()
        let kubeconfig = self.dataDirectory.appendingPathComponent("kubeconfig.yaml")
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            guard process.isRunning else { throw BenchError("server exited during start-up") }
            guard ContinuousClock.now < deadline else { throw BenchError("server not ready within 60s") }
            if target.token.isEmpty, let text = try? String(contentsOf: kubeconfig, encoding: .utf8),
               let config = try? JSONValue(yaml: text),
               let caData = config["clusters"]?[0]?["cluster"]?["certificate-authority-data"]?.stringValue,
               let ca = Data(base64Encoded: caData),
               let token = config["users"]?[0]?["user"]?["token"]?.stringValue
            {
                target = BenchTarget(host: "127.0.0.1", port: port, caPEM: String(decoding: ca, as: UTF8.self), token: token)
            }
            if !target.token.isEmpty, let status = try? await Self.status(target, "/readyz"), status == 200 {
                readySeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                return
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// CPU time the server process used so far (user + system), in seconds.
    public var cpuSeconds: Double {
        guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // utime and stime are fields 14 and 15; after the command, field 3 is index 0.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident memory of the server process in bytes (VmRSS).
    public var residentBytes: Int {
        guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return digits * 1024
        }
        return 0
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: dataDirectory)
    }

    /// The status code of one GET (a fresh connection).
    static func status(_ target: BenchTarget, _ path: String) async throws -> Int {
        let result = try await LoadClient.run(target: target, connections: 1, total: 1) { _ in (target.head(.GET, path), nil) }
        return result.statusCounts.keys.first ?? 0
    }

    static func freePort() throws -> Int {
        let group = MultiThreadedEventLoopGroup.singleton
        let channel = try ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
        defer { try? channel.close().wait() }
        guard let port = channel.localAddress?.port else { throw BenchError("no free port") }
        return port
    }
}

/// A benchmark that could not run.
public struct BenchError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
