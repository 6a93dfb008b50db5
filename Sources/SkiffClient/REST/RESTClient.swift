public import AsyncHTTPClient
import Foundation
public import NIOCore
public import NIOHTTP1
import NIOSSL
public import SkiffAPI

/// A client of the Kubernetes REST API over HTTPS (HTTP/1.1, pooled connections): raw requests,
/// JSON objects, and watch streams. Errors the server reports come back as `APIError`.
public final class RESTClient: Sendable {
    public let config: ClientConfig
    let http: HTTPClient

    public init(config: ClientConfig, eventLoopGroup: any EventLoopGroup = HTTPClient.defaultEventLoopGroup,
                maximumConnections: Int = 32) throws {
        self.config = config
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = config.certificateAuthorityPEM {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
        }
        if config.insecureSkipTLSVerify { tls.certificateVerification = .none }
        // On close, NIOSSL waits for the peer's close_notify (5 s by default), which made every component
        // take 5 s to exit; Go clients (kubectl) send theirs and close without waiting.
        tls.shutdownTimeout = .milliseconds(100)
        if let cert = config.clientCertificatePEM, let key = config.clientKeyPEM {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(cert.utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .follow(max: 3, allowCycles: false))
        configuration.httpVersion = .http1Only
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: maximumConnections)
        http = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: configuration)
    }

    /// Closes the connection pool.
    public func shutdown() async throws { try await http.shutdown() }

    /// A response as bytes.
    public struct Response: Sendable {
        public var status: HTTPResponseStatus
        public var headers: HTTPHeaders
        public var body: [UInt8]

        /// The body as JSON.
        public func json() throws -> JSONValue { try JSONValue(parsing: body) }
    }

    /// Sends one request; the whole response body is read (up to `maxBody`).
    public func send(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: [UInt8]? = nil,
                     contentType: String = "application/json", accept: String = "application/json",
                     timeout: TimeAmount = .seconds(60), maxBody: Int = 512 * 1024 * 1024) async throws -> Response {
        let request = makeRequest(method, path, query: query, body: body, contentType: contentType, accept: accept)
        let response = try await http.execute(request, timeout: timeout)
        let buffer = try await response.body.collect(upTo: maxBody)
        return Response(status: response.status, headers: response.headers, body: Array(buffer.readableBytesView))
    }

    /// Sends a request and returns the JSON body of a success; a failure throws the server's `APIError`.
    public func json(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil,
                     contentType: String = "application/json") async throws -> JSONValue {
        let response = try await send(method, path, query: query, body: body?.serialized(), contentType: contentType)
        return try Self.decode(response)
    }

    static func decode(_ response: Response) throws -> JSONValue {
        if (200..<300).contains(response.status.code) { return try response.json() }
        throw failure(status: response.status, body: response.body)
    }

    /// The error a failed response carries: its Status, or one made from the status line and body.
    static func failure(status: HTTPResponseStatus, body: [UInt8]) -> APIError {
        if let value = try? JSONValue(parsing: body), let error = APIError(status: value) { return error }
        return APIError(code: Int(status.code), reason: status.reasonPhrase,
                        message: String(decoding: body.prefix(512), as: UTF8.self))
    }

    func makeRequest(_ method: HTTPMethod, _ path: String, query: [(String, String)], body: [UInt8]?, contentType: String,
                     accept: String) -> HTTPClientRequest {
        var url = config.server + path
        if !query.isEmpty {
            url += "?" + query.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: accept)
        request.headers.add(name: "User-Agent", value: config.userAgent)
        if let token = config.bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(body)
        }
        return request
    }

    static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    /// Percent-encodes a query component.
    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) { out.append(Character(Unicode.Scalar(byte))) } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
