import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Runs one check against a container, as upstream's exec, HTTP and TCP probers: exit code 0, an HTTP status
/// from 200 to 399, or an accepted connection is a success. Also runs lifecycle hooks' handlers.
final class Prober: Sendable {
    struct Result: Sendable, Equatable {
        var success: Bool
        /// The command's output, the response body, or why it failed (`HTTP probe failed with statuscode: 500`).
        var output: String
    }

    /// Where a container is reached: the pod's IP (the node's for host-network and process pods) and its
    /// named ports.
    struct Target: Sendable {
        var runtime: any ContainerRuntime
        var containerID: String
        var ip: String
        var ports: [String: Int]
    }

    /// Made at the first HTTP probe or hook (so a kubelet that never probes has nothing to shut down); never
    /// again once shut down, as a client dropped without its shutdown stops the process.
    private let client = Mutex<(made: HTTPClient?, closed: Bool)>((nil, false))

    struct ShutDown: Error, CustomStringConvertible {
        var description: String { "the kubelet is shutting down" }
    }

    func http() throws -> HTTPClient {
        try client.withLock { client in
            if let made = client.made { return made }
            guard !client.closed else { throw ShutDown() }
            // Probes do not verify certificates; `httpGet` follows redirects itself, as upstream's checker does.
            let made = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
                                  configuration: HTTPClient.Configuration(certificateVerification: .none,
                                                                          redirectConfiguration: .disallow))
            client.made = made
            return made
        }
    }

    func shutdown() async {
        let made = client.withLock { client in
            defer { client = (nil, true) }
            return client.made
        }
        try? await made?.shutdown()
    }

    func run(_ handler: ProbeHandler, target: Target, timeout: Duration?) async -> Result {
        switch handler {
        case .exec(let argv):
            return await exec(argv, target: target, timeout: timeout)
        case .httpGet(let get):
            return await httpGet(get, target: target, timeout: timeout ?? .seconds(1), statusLimit: 400)
        case .tcpSocket(let host, let port):
            return await tcp(host: host ?? target.ip, port: port, target: target, timeout: timeout ?? .seconds(1))
        }
    }

    // MARK: exec

    /// Runs `argv` in the container; exit code 0 succeeds, and past `timeout` it is killed and fails with
    /// upstream's `command "…" timed out`. The output (stdout and stderr) is the result's.
    func exec(_ argv: [String], target: Target, timeout: Duration?) async -> Result {
        let (code, output) = await execWithCode(argv, target: target, timeout: timeout)
        guard let code else { return Result(success: false, output: output) }
        return Result(success: code == 0, output: output)
    }

    /// The exit code (nil: it could not be run, or timed out; the output then says why) and the output.
    func execWithCode(_ argv: [String], target: Target, timeout: Duration?) async -> (code: Int32?, output: String) {
        let process: any ExecProcess
        do {
            process = try target.runtime.exec(containerID: target.containerID, ExecCommand(argv: argv))
        } catch let error as ContainerRuntimeError {
            return (nil, error.message)
        } catch {
            return (nil, "\(error)")
        }
        let output = ExecOutput(process: process)
        let code: Int32? = await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await process.exitCode() }
            group.addTask {
                if let timeout { try? await Task.sleep(for: timeout) } else {
                    while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                }
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil { process.kill() }
            group.cancelAll()
            return first
        }
        let text = await output.text()
        guard let code else { return (nil, "command \"\(argv.joined(separator: " "))\" timed out") }
        return (code, text)
    }

    // MARK: HTTP

    func url(_ get: ProbeHandler.HTTPGet, target: Target) -> (url: String, port: Int?) {
        guard let port = resolve(get.port, target: target) else { return ("", nil) }
        let host = get.host ?? target.ip
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return ("\(get.scheme)://\(hostPart):\(port)\(get.path)", port)
    }

    /// A GET with upstream's `User-Agent: kube-probe/…` and `Accept: */*` (unless the spec sets them), no
    /// keep-alive; a status below `statusLimit` (and 200 or more) succeeds. Redirects to the same host are
    /// followed (at most 10); one to another host ends the probe there, a success with upstream's warning.
    func httpGet(_ get: ProbeHandler.HTTPGet, target: Target, timeout: Duration, statusLimit: Int) async -> Result {
        let (url, port) = url(get, target: target)
        guard port != nil else { return Result(success: false, output: "couldn't find port: \(get.port)") }
        let host = URL(string: url)?.host
        var current = url
        do {
            for _ in 0...10 {
                let (code, location, body) = try await fetch(current, headers: get.headers, timeout: timeout)
                if (300..<400).contains(code), let location,
                   let next = URL(string: location, relativeTo: URL(string: current))?.absoluteURL {
                    guard next.host == host else {
                        return Result(success: true, output: "Probe terminated redirects, Response body: \(body)")
                    }
                    current = next.absoluteString
                    continue
                }
                if code >= 200 && code < statusLimit { return Result(success: true, output: body) }
                return Result(success: false, output: "HTTP probe failed with statuscode: \(code)")
            }
            return Result(success: false, output: "Get \"\(current)\": stopped after 10 redirects")
        } catch {
            return Result(success: false, output: "Get \"\(current)\": \(Self.describe(error, host: get.host ?? target.ip, port: port ?? 0))")
        }
    }

    /// One GET: its status, `Location` and the first 10 KiB of its body.
    private func fetch(_ url: String, headers: [(name: String, value: String)], timeout: Duration) async throws
        -> (code: Int, location: String?, body: String)
    {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "User-Agent", value: "kube-probe/1.32")
        request.headers.add(name: "Accept", value: "*/*")
        request.headers.add(name: "Connection", value: "close")
        for header in headers { request.headers.replaceOrAdd(name: header.name, value: header.value) }
        let response = try await http().execute(request, timeout: .nanoseconds(Int64(timeout.timeInterval * 1e9)))
        var body = Data()
        for try await chunk in response.body {
            body.append(contentsOf: chunk.readableBytesView.prefix(max(0, 10 * 1024 - body.count)))
            if body.count >= 10 * 1024 { break }
        }
        return (Int(response.status.code), response.headers.first(name: "Location"), String(decoding: body, as: UTF8.self))
    }

    // MARK: TCP

    func tcp(host: String, port: ProbeHandler.Port, target: Target, timeout: Duration) async -> Result {
        guard let number = resolve(port, target: target) else { return Result(success: false, output: "couldn't find port: \(port)") }
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.nanoseconds(Int64(timeout.timeInterval * 1e9)))
                .connect(host: host, port: number).get()
            channel.close(promise: nil)
            return Result(success: true, output: "")
        } catch {
            return Result(success: false, output: Self.describe(error, host: host, port: number))
        }
    }

    func resolve(_ port: ProbeHandler.Port, target: Target) -> Int? {
        switch port {
        case .number(let number): number > 0 && number < 65536 ? number : nil
        case .name(let name): target.ports[name]
        }
    }

    /// Go's dial errors, as the probers report them (`dial tcp 10.0.0.1:80: connect: connection refused`).
    static func describe(_ error: any Error, host: String, port: Int) -> String {
        let text = "\(error)"
        let address = "\(host):\(port)"
        if text.contains("refused") || text.contains("ECONNREFUSED") { return "dial tcp \(address): connect: connection refused" }
        if text.lowercased().contains("timeout") || text.lowercased().contains("timed out") {
            return "dial tcp \(address): i/o timeout"
        }
        return "dial tcp \(address): \(text)"
    }
}
