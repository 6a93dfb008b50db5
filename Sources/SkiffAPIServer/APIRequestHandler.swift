import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import Prometheus
import SkiffAPI

/// The HTTP entry point of the API server: authenticates, routes to discovery, OpenAPI, health,
/// metrics or a resource, and turns errors into `Status` responses.
struct APIRequestHandler: HTTPResponder {
    let rest: RESTHandler
    let discovery: Discovery
    let openAPI: OpenAPIEndpoints
    let authenticator: Authenticator
    let health: HealthState
    let metricsRegistry: PrometheusCollectorRegistry?
    let inflight: InflightLimiter
    let requestMetrics = RequestMetrics()
    let logger: Logger

    /// Paths anyone may read (upstream grants them to `system:unauthenticated` by default).
    static let publicPaths: Set<String> = ["/healthz", "/livez", "/readyz", "/version", "/version/"]

    func respond(to request: HTTPRequest, writer: HTTPResponseWriter) async {
        let start = ContinuousClock.now
        var verb = request.method.rawValue
        var resourceLabel = ""
        let code: Int
        do {
            let path = String(request.path)
            let user: UserInfo?
            switch authenticator.authenticate(authorization: request.header("Authorization"), certificate: request.clientCertificate) {
            case .authenticated(let u): user = u
            case .anonymous:
                guard Self.publicPaths.contains(path) || path.hasPrefix("/readyz/") || path.hasPrefix("/livez/")
                        || path.hasPrefix("/healthz/") else { throw APIError.unauthorized() }
                user = nil
            case .invalid:
                throw APIError.unauthorized()
            }
            if let info = RequestInfo(path: request.path), let resource = rest.registry.resource(group: info.group, version: info.version, resource: info.resource) {
                try Self.checkRoute(method: request.method, info: info, namespaced: resource.namespaced)
                let query = request.query
                let restRequest = RESTRequest(http: request, info: info, resource: resource, user: user, query: query,
                                              verb: info.verb(method: request.method, watchParameter: query.flag("watch")))
                verb = restRequest.verb
                resourceLabel = resource.resource
                if !health.isReady { throw APIError.serviceUnavailable("the API server is starting") }
                guard let slot = inflight.acquire(verb: verb, subresource: info.subresource, user: user) else {
                    code = 429
                    await Self.tooManyRequests(writer)
                    requestMetrics.record(verb: verb, resource: resourceLabel, code: code, nanoseconds: 0)
                    return
                }
                defer { inflight.release(slot) }
                if let response = try await rest.handle(restRequest, writer: writer) {
                    code = Int(response.status.code)
                    await writer.send(status: response.status, headers: response.headers, body: response.body,
                                      appendingNewline: Self.needsNewline(response))
                } else {
                    code = 200
                }
            } else {
                let response = try await nonResource(request, path: path)
                code = Int(response.status.code)
                let newline = path != "/version" && path != "/version/" && Self.needsNewline(response)
                await writer.send(status: response.status, headers: response.headers, body: response.body, appendingNewline: newline)
            }
        } catch let error as APIError {
            code = error.code
            await send(error, to: writer)
        } catch is CancellationError {
            code = 499
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.head.uri)", "error": "\(error)"])
            let apiError = APIError.internalError("\(error)")
            code = apiError.code
            await send(apiError, to: writer)
        }
        let elapsed = ContinuousClock.now - start
        requestMetrics.record(verb: verb, resource: resourceLabel, code: code,
                              nanoseconds: elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        logger.debug("request", metadata: ["method": "\(request.method.rawValue)", "uri": "\(request.head.uri)", "code": "\(code)"])
    }

    /// The routes upstream's installer registers for a resource, and go-restful's answers for the rest: a path
    /// no route has is 404, a route without the method 405 (both generic Statuses with empty details).
    static func checkRoute(method: HTTPMethod, info: RequestInfo, namespaced: Bool) throws(APIError) {
        switch method {
        case .GET, .POST, .PUT, .PATCH, .DELETE: break
        default: throw .methodNotAllowed
        }
        if namespaced != (info.namespace != nil) {
            // A cluster-scoped kind under a namespace, or one object of a namespaced kind without its namespace.
            if !namespaced || info.name != nil { throw .routeNotFound }
            // The cluster-wide path of a namespaced kind lists and watches, nothing else.
            if method != .GET { throw .methodNotAllowed }
        }
        if info.subresource == nil {
            if info.name != nil, method == .POST { throw .methodNotAllowed }
            if info.name == nil, method == .PUT || method == .PATCH { throw .methodNotAllowed }
        }
    }

    /// Upstream's max-in-flight refusal: plain text, as Go's `http.Error` writes it.
    static func tooManyRequests(_ writer: HTTPResponseWriter) async {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        headers.add(name: "Retry-After", value: "1")
        await writer.send(status: .tooManyRequests, headers: headers,
                          body: writer.allocator.buffer(string: "Too many requests, please try again later.\n"))
    }

    func send(_ error: APIError, to writer: HTTPResponseWriter) async {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Cache-Control", value: "no-cache, private")
        if let retry = error.retryAfterSeconds { headers.add(name: "Retry-After", value: String(retry)) }
        await writer.send(status: HTTPResponseStatus(statusCode: error.code), headers: headers,
                          body: writer.allocator.buffer(bytes: error.status.serialized()), appendingNewline: true)
    }

    /// Whether a JSON body gets its newline, as Go's encoder writes one (clients compare bodies byte for
    /// byte): not when empty (a 304 has none, and a newline would be read as the next response), nor when
    /// it already ends with one; `/version` is written raw upstream, without one.
    static func needsNewline(_ response: RESTResponse) -> Bool {
        response.body.readableBytes > 0 && response.status != .notModified && response.status != .noContent
            && response.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true
            && response.body.readableBytesView.last != UInt8(ascii: "\n")
    }

    // MARK: - Non-resource paths

    func nonResource(_ request: HTTPRequest, path: String) async throws -> RESTResponse {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        switch trimmed {
        case "/healthz", "/livez", "/readyz":
            let ok = trimmed == "/livez" || health.isReady
            if request.query.has("verbose") {
                return text(health.verboseReport(name: trimmed), status: ok ? .ok : .internalServerError)
            }
            return text(ok ? "ok" : "[-]not ready", status: ok ? .ok : .internalServerError)
        case "/version":
            return json(VersionInfo.json)
        case "/metrics":
            var bytes: [UInt8] = []
            metricsRegistry?.emit(into: &bytes)
            return RESTResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8",
                                body: ByteBufferAllocator().buffer(bytes: bytes))
        case "/api", "/apis":
            return try discoveryRoot(request, core: trimmed == "/api")
        default:
            break
        }
        if trimmed.hasPrefix("/openapi/") || trimmed == "/openapi" {
            return try openAPI.respond(request, path: trimmed)
        }
        if trimmed.hasPrefix("/readyz/") || trimmed.hasPrefix("/livez/") || trimmed.hasPrefix("/healthz/") {
            return text("ok", status: health.isReady ? .ok : .internalServerError)
        }
        let segments = trimmed.split(separator: "/").map(String.init)
        if segments.count == 2, segments[0] == "api" {
            if let list = discovery.resourceList(group: "", version: segments[1]) { return json(list) }
        } else if segments.count == 2, segments[0] == "apis" {
            if rest.registry.groupVersions[segments[1]] != nil { return json(discovery.group(segments[1])) }
        } else if segments.count == 3, segments[0] == "apis" {
            if let list = discovery.resourceList(group: segments[1], version: segments[2]) { return json(list) }
        }
        if segments.first == "api" || segments.first == "apis" {
            return RESTResponse(status: .notFound, contentType: "application/json",
                                body: ByteBufferAllocator().buffer(bytes: APIError(code: 404, reason: "NotFound",
                                    message: "the server could not find the requested resource").status.serialized()))
        }
        return RESTResponse(status: .notFound, contentType: "text/plain; charset=utf-8",
                            body: ByteBufferAllocator().buffer(string: "404 page not found\n"))
    }

    /// `/api` and `/apis`: aggregated discovery when the client asks for it, legacy otherwise.
    func discoveryRoot(_ request: HTTPRequest, core: Bool) throws -> RESTResponse {
        for media in MediaType.parseList(request.header("Accept")) {
            if media.parameters["g"] == "apidiscovery.k8s.io", media.parameters["as"] == "APIGroupDiscoveryList",
               let version = media.parameters["v"], version == "v2" || version == "v2beta1"
            {
                let body = discovery.aggregated(core: core, version: version).serialized()
                var response = RESTResponse(status: .ok,
                                            contentType: "application/json;g=apidiscovery.k8s.io;v=\(version);as=APIGroupDiscoveryList",
                                            body: ByteBufferAllocator().buffer(bytes: body))
                response.headers.replaceOrAdd(name: "Vary", value: "Accept")
                response.headers.replaceOrAdd(name: "ETag", value: "\"\(OpenAPIEndpoints.hash(body))\"")
                return response
            }
            if media.isJSON || media.isWildcard { break }
        }
        return json(core ? discovery.coreVersions : discovery.groupList)
    }

    func json(_ value: JSONValue) -> RESTResponse {
        RESTResponse(status: .ok, contentType: "application/json", body: ByteBufferAllocator().buffer(bytes: value.serialized()))
    }

    func text(_ text: String, status: HTTPResponseStatus) -> RESTResponse {
        RESTResponse(status: status, contentType: "text/plain; charset=utf-8", body: ByteBufferAllocator().buffer(string: text))
    }
}
