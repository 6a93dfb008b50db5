import Foundation
import SkiffHost
import SkiffProxy
import SkiffTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A pod stand-in for kernel tests: a network namespace joined to the host by a veth pair, with busybox's
/// httpd answering its own name on port 8080. Addresses are in the pod range (10.244.<subnet>.0/24) and a
/// guard drops anything for the cluster's ranges that would leave through the uplink while it exists.
final class KernelNetwork: Sendable {
    let name: String
    let subnet: Int
    let server: TestChild
    let guardRules: [[String]]
    let directory: URL

    static let ip = "/usr/sbin/ip"
    static let busybox = ["/bin/busybox", "/usr/bin/busybox"].first(where: FileManager.default.isExecutableFile(atPath:))

    /// Whether this machine can run the kernel tests (root, nft, ip, busybox); in CI it must.
    static var available: Bool {
        let ready = getuid() == 0 && NFTables.installed() != nil && FileManager.default.isExecutableFile(atPath: ip) && busybox != nil
        if !ready && ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("kernel proxy tests need root, nft, ip and busybox in CI")
        }
        return ready
    }

    var hostAddress: String { "10.244.\(subnet).1" }
    var podAddress: String { "10.244.\(subnet).2" }

    /// A namespace `skp<subnet>` with `10.244.<subnet>.2` inside, answering `answer` over HTTP on 8080.
    init(subnet: Int, answer: String) throws {
        self.subnet = subnet
        name = "skp\(subnet)-\(getpid() % 10000)"
        let host = "skh\(subnet)x\(getpid() % 1000)"
        _ = try? Self.run(Self.ip, ["netns", "del", name])
        try Self.run(Self.ip, ["netns", "add", name])
        try Self.run(Self.ip, ["link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", name])
        try Self.run(Self.ip, ["addr", "add", "10.244.\(subnet).1/24", "dev", host])
        try Self.run(Self.ip, ["link", "set", host, "up"])
        try Self.run(Self.ip, ["-n", name, "addr", "add", "10.244.\(subnet).2/24", "dev", "eth0"])
        try Self.run(Self.ip, ["-n", name, "link", "set", "eth0", "up"])
        try Self.run(Self.ip, ["-n", name, "link", "set", "lo", "up"])
        try Self.run(Self.ip, ["-n", name, "route", "add", "default", "via", "10.244.\(subnet).1"])
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("skp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("\(answer)\n".utf8).write(to: directory.appendingPathComponent("index.html"))
        server = try TestChild(Self.ip, ["netns", "exec", name, Self.busybox ?? "busybox", "httpd", "-f", "-p", "8080", "-h", directory.path])
        guardRules = Self.guardClusterRanges()
    }

    func stop() {
        server.signal(SIGKILL)
        _ = server.wait()
        _ = try? Self.run(Self.ip, ["netns", "del", name])
        for rule in guardRules { _ = try? HostCommand.run("/usr/sbin/iptables", ["-D"] + rule) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `body` with a network, removing it whatever happens.
    static func with<T>(subnet: Int, answer: String = "endpoint", _ body: (KernelNetwork) async throws -> T) async throws -> T {
        let network = try KernelNetwork(subnet: subnet, answer: answer)
        do {
            let result = try await body(network)
            network.stop()
            return result
        } catch {
            network.stop()
            throw error
        }
    }

    /// What an HTTP GET of `url` from the host returns, or the error busybox wget printed; on a thread of its
    /// own, so the waiting never holds one of the cooperative pool's two threads.
    static func fetch(_ url: String) async -> String {
        (try? await OwnThread.run("test-wget") { fetchBlocking(url) }) ?? "cannot run wget"
    }

    static func fetchBlocking(_ url: String) -> String {
        // busybox's own `-T` crashes the static build: coreutils' timeout bounds it instead.
        guard let result = try? HostCommand.run("/usr/bin/timeout", ["3", busybox ?? "busybox", "wget", "-qO-", url])
        else { return "cannot run wget" }
        return result.succeeded ? String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            : "error: \(result.message)"
    }

    /// Polls `url` until it answers `expected` (or fails to, with `expected` nil), for a few seconds.
    static func eventually(_ url: String, answers expected: (String) -> Bool) async throws -> String {
        var last = ""
        for _ in 0..<60 {
            last = await fetch(url)
            if expected(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        return last
    }

    @discardableResult
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        let result = try HostCommand.run(program, arguments)
        guard result.succeeded else { throw NFTError(message: "\(program) \(arguments.joined(separator: " ")): \(result.message)") }
        return String(decoding: result.stdout, as: UTF8.self)
    }

    /// As the acceptance scripts' `guard_cluster_ranges`: nothing for the pod or Service range leaves through
    /// the default route's interface, whatever the rules under test do.
    static func guardClusterRanges() -> [[String]] {
        guard let route = try? run(ip, ["route", "show", "default"]),
              let device = route.split(separator: " ").split(separator: "dev").dropFirst().first?.first.map(String.init)
        else { return [] }
        var rules: [[String]] = []
        for chain in ["OUTPUT", "FORWARD"] {
            for range in ["10.244.0.0/16", "10.96.0.0/12"] {
                let rule = [chain, "-o", device, "-d", range, "-m", "comment", "--comment", "skiff-test-guard", "-j", "DROP"]
                if (try? HostCommand.run("/usr/sbin/iptables", ["-I"] + rule))?.succeeded == true { rules.append(rule) }
            }
        }
        return rules
    }
}
