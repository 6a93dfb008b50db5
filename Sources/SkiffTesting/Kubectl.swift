public import Foundation
import Synchronization

/// Runs the real kubectl binary against a kubeconfig. Tests that need it fail (not skip) when
/// `CI=true` and it is missing.
public struct Kubectl: Sendable {
    /// What a kubectl run printed and returned.
    public struct Result: Sendable, CustomStringConvertible {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var succeeded: Bool { status == 0 }
        public var output: String { stdout + stderr }
        public var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
    }

    public let binary: String
    public let kubeconfig: URL

    /// `KUBECTL` from the environment, else `/usr/bin/kubectl`, else the first `kubectl` on PATH.
    public static func locate() -> String? {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["KUBECTL"], FileManager.default.isExecutableFile(atPath: explicit) { return explicit }
        var candidates = ["/usr/bin/kubectl"]
        for dir in (env["PATH"] ?? "").split(separator: ":") { candidates.append("\(dir)/kubectl") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public static var isRequired: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    public init(binary: String, kubeconfig: URL) {
        self.binary = binary
        self.kubeconfig = kubeconfig
    }

    /// Runs `kubectl args...` with `stdin` piped in; waits for it to exit.
    @discardableResult
    public func run(_ args: [String], stdin: String? = nil, timeout: Duration = .seconds(60)) async throws -> Result {
        try await Self.runProcess(binary, args, environment: ["KUBECONFIG": kubeconfig.path], stdin: stdin, timeout: timeout)
    }

    public func run(_ args: String..., stdin: String? = nil) async throws -> Result {
        try await run(args, stdin: stdin)
    }

    /// Runs a process to completion, collecting its output; kills it after `timeout`. The blocking waits
    /// happen on Dispatch threads, never on Swift's cooperative pool (which an in-process server needs).
    public static func runProcess(_ path: String, _ args: [String], environment: [String: String] = [:], stdin: String? = nil,
                                  timeout: Duration = .seconds(60)) async throws -> Result {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let out = try cloexecPipe(), err = try cloexecPipe(), input = try cloexecPipe()
        let child: TestChild
        do {
            child = try TestChild(path: path, arguments: args, environment: env, stdin: input.read, stdout: out.write, stderr: err.write)
        } catch {
            for fd in [out.read, out.write, err.read, err.write, input.read, input.write] { close(fd) }
            throw error
        }
        for fd in [out.write, err.write, input.read] { close(fd) }
        let seconds = Double(timeout.components.seconds)
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                if let stdin {
                    let bytes = Array(stdin.utf8)
                    var written = 0
                    while written < bytes.count {
                        let count = bytes[written...].withUnsafeBytes { write(input.write, $0.baseAddress, $0.count) }
                        if count > 0 { written += count } else if count < 0, errno == EINTR { continue } else { break }
                    }
                }
                close(input.write)
                let group = DispatchGroup()
                let collected = Mutex<(out: Data, err: Data)>((Data(), Data()))
                group.enter()
                DispatchQueue.global().async {
                    let data = readAll(out.read)
                    collected.withLock { $0.out = data }
                    group.leave()
                }
                group.enter()
                DispatchQueue.global().async {
                    let data = readAll(err.read)
                    collected.withLock { $0.err = data }
                    group.leave()
                }
                if group.wait(timeout: .now() + seconds) == .timedOut {
                    child.signal(SIGTERM)
                    group.wait()
                }
                let status = child.wait()
                close(out.read)
                close(err.read)
                let (stdout, stderr) = collected.withLock { ($0.out, $0.err) }
                continuation.resume(returning: Result(status: status, stdout: String(decoding: stdout, as: UTF8.self),
                                                      stderr: String(decoding: stderr, as: UTF8.self)))
            }
        }
    }
}

/// Reads a pipe to its end, retrying reads a signal interrupted: Foundation's `readDataToEndOfFile`
/// traps on EINTR, which a test process sees whenever a child it started elsewhere exits.
func readAll(_ descriptor: Int32) -> Data {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 {
            data.append(contentsOf: buffer[0..<count])
        } else if count == 0 || errno != EINTR {
            return data
        }
    }
}
