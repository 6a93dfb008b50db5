import Foundation
import Logging
import SkiffStorage
import SkiffTesting

/// A real etcd server for one test: its own temp data dir and free loopback ports, stopped and removed
/// after. Tests never share one, so revisions and compactions of one test cannot disturb another.
final class EtcdServer: Sendable {
    let url: String
    let clientPort: Int
    private let process: TestChild
    private let directory: URL

    /// `ETCD_BINARY`, else etcd on the usual paths.
    static let binary: String? = {
        if let explicit = ProcessInfo.processInfo.environment["ETCD_BINARY"], !explicit.isEmpty { return explicit }
        return ["/usr/bin/etcd", "/usr/local/bin/etcd"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var isInstalled: Bool { binary != nil }

    /// CI must run the etcd tests; elsewhere they are skipped with a message when etcd is missing.
    static var isRequired: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// At most this many etcd processes run at once (the machine has two cores).
    static let slots = Slots(count: 3)

    private init(url: String, clientPort: Int, process: TestChild, directory: URL) {
        self.url = url
        self.clientPort = clientPort
        self.process = process
        self.directory = directory
    }

    /// Starts etcd and waits until it answers.
    static func start() async throws -> EtcdServer {
        guard let binary else {
            throw HarnessError("etcd is not installed (apt-get install etcd-server, or set ETCD_BINARY)")
        }
        var lastFailure = ""
        for _ in 0..<3 {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("skiff-etcd-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let clientPort = try freePort()
            let peerPort = try freePort()
            let client = "http://127.0.0.1:\(clientPort)"
            let peer = "http://127.0.0.1:\(peerPort)"
            let arguments = [
                "--name", "test", "--data-dir", directory.appendingPathComponent("data").path,
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "test=\(peer)", "--logger", "zap", "--log-level", "warn",
            ]
            let log = directory.appendingPathComponent("etcd.log")
            let output = open(log.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
            defer {
                close(output)
                close(null)
            }
            let process = try TestChild(path: binary, arguments: arguments, environment: ProcessInfo.processInfo.environment,
                                        stdin: null, stdout: output, stderr: output)
            let server = EtcdServer(url: "etcd://127.0.0.1:\(clientPort)", clientPort: clientPort, process: process,
                                    directory: directory)
            if await server.waitUntilReady() { return server }
            lastFailure = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            await server.stop()
        }
        throw HarnessError("etcd did not start: \(lastFailure.suffix(2_000))")
    }

    private func waitUntilReady() async -> Bool {
        let store: EtcdStore
        do {
            store = try EtcdStore(url: url, logger: Logger(label: "etcd-harness"))
        } catch {
            return false
        }
        var ready = false
        for _ in 0..<200 where process.isRunning {
            if (try? await store.currentRevision()) != nil {
                ready = true
                break
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        await store.close()
        return ready
    }

    /// Stops etcd (SIGTERM, then SIGKILL if it lingers) and removes its data.
    func stop() async {
        if process.isRunning {
            process.signal(SIGTERM)
            for _ in 0..<100 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning {
                process.signal(SIGKILL)
                for _ in 0..<100 where process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// A loopback port nothing listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw HarnessError("bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw HarnessError("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A counting semaphore for async code.
actor Slots {
    private var free: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { free = count }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { free += 1 } else { waiters.removeFirst().resume() }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
