import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SkiffJSON
import Synchronization

/// Talks JSON to etcd v3's gRPC gateway over HTTP/1.1, trying the next endpoint when one cannot be reached.
final class EtcdClient: Sendable {
    let endpoints: [String]
    let http: HTTPClient
    let logger: Logger
    /// The endpoint that answered last; requests start there.
    private let preferredIndex = Mutex(0)

    /// The endpoints in the order to try them: the one that answered last first.
    var endpointsToTry: [(index: Int, url: String)] {
        let start = preferredIndex.withLock { $0 }
        return (0..<endpoints.count).map { offset in
            let index = (start + offset) % endpoints.count
            return (index, endpoints[index])
        }
    }

    /// Remembers an endpoint that answered.
    func answered(_ index: Int) { preferredIndex.withLock { $0 = index } }

    static let requestTimeout: TimeAmount = .seconds(15)

    init(endpoints: [String], logger: Logger) {
        self.endpoints = endpoints
        self.logger = logger
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http1Only
        configuration.timeout = .init(connect: .seconds(2))
        // Every watch holds a connection for its whole life; the rest share the remainder.
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 1_024)
        configuration.decompression = .disabled
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Parses `etcd://host:port[,host:port...]` into the gateway's base URLs.
    static func endpoints(from url: String) throws(StoreError) -> [String] {
        let scheme = "etcd://"
        guard url.hasPrefix(scheme) else {
            throw StoreError(.invalid, message: "etcd endpoints must look like etcd://host:port[,host:port...] (got \"\(url)\")")
        }
        var result: [String] = []
        for part in url.dropFirst(scheme.count).split(separator: ",", omittingEmptySubsequences: false) {
            let endpoint = part.trimmingCharacters(in: .whitespaces)
            guard let colon = endpoint.lastIndex(of: ":"), colon != endpoint.startIndex,
                  let port = Int(endpoint[endpoint.index(after: colon)...]), (1...65_535).contains(port),
                  !endpoint.contains("/"), !endpoint.contains("@")
            else {
                throw StoreError(.invalid, message: "bad etcd endpoint \"\(endpoint)\" in \(url): want host:port")
            }
            result.append("http://\(endpoint)")
        }
        return result
    }

    /// Posts `body` to `path` and returns the JSON answer. A gateway error becomes a `StoreError`; an
    /// endpoint that cannot be reached is skipped. Writes are retried elsewhere only when the request
    /// surely never reached a server (the connection could not be made), so none is applied twice.
    func call(_ path: String, _ body: JSONValue, idempotent: Bool) async throws(StoreError) -> JSONValue {
        let bytes = body.serialized()
        var lastError: (any Error)?
        for (index, endpoint) in endpointsToTry {
            var request = HTTPClientRequest(url: endpoint + path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: bytes))
            let answer: (status: UInt, body: ByteBuffer)
            do {
                let response = try await http.execute(request, timeout: Self.requestTimeout)
                let collected = try await response.body.collect(upTo: 256 * 1024 * 1024)
                answer = (response.status.code, collected)
            } catch {
                lastError = error
                if idempotent || Self.neverSent(error) {
                    logger.debug("etcd endpoint failed", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
                    continue
                }
                break
            }
            answered(index)
            let json: JSONValue
            do {
                json = try JSONValue(parsing: answer.body.readableBytesView)
            } catch {
                throw EtcdCodec.malformed("HTTP \(answer.status) with a body that is not JSON")
            }
            guard (200..<300).contains(answer.status) else { throw Self.gatewayError(json, status: answer.status) }
            return json
        }
        throw StoreError(.unavailable, message: "etcd is unreachable at \(endpoints.joined(separator: ",")): "
            + "\(lastError.map { "\($0)" } ?? "no endpoint")")
    }

    /// True for failures that happen before a request could reach the server.
    static func neverSent(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError, error == .connectTimeout { return true }
        // NIOPosix's NIOConnectionError (all connection attempts failed) is not visible here; match by name.
        if String(describing: type(of: error)) == "NIOConnectionError" { return true }
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED { return true }
        return false
    }

    /// The error a gateway answer carries (`{"error": …, "code": …, "message": …}`).
    static func gatewayError(_ json: JSONValue, status: UInt) -> StoreError {
        let message = json["message"]?.stringValue ?? json["error"]?.stringValue ?? "HTTP \(status)"
        let code = json["code"]?.intValue ?? 0
        if message.contains("required revision has been compacted") {
            return StoreError(.compacted, message: message)
        }
        if message.contains("future revision") {
            return StoreError(.invalid, message: message)
        }
        // gRPC InvalidArgument, OutOfRange, FailedPrecondition, ResourceExhausted (request too large).
        if [3, 8, 9, 11].contains(code) { return StoreError(.invalid, message: message) }
        return StoreError(.unavailable, message: "etcd: \(message)")
    }

    func shutdown() async {
        try? await http.shutdown()
    }
}
