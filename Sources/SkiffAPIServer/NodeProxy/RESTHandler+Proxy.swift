import Foundation
import NIOCore
import NIOHTTP1
import SkiffAPI

/// `pods/{name}/proxy`, `nodes/{name}/proxy` and `services/{name}/proxy` (with an optional `/path`): the API
/// server forwards the request to the pod's address, the node's kubelet, or one of the service's endpoints,
/// and streams the answer back, as upstream's proxy subresources do. The name may carry a scheme and a port
/// (`https:web:8443`).
extension RESTHandler {
    struct ProxyTarget {
        var scheme: String
        var name: String
        var port: String
    }

    /// `[scheme:]name[:port]`, as upstream's `SplitSchemeNamePort`.
    static func proxyTarget(_ text: String) throws(APIError) -> ProxyTarget {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: return ProxyTarget(scheme: "", name: parts[0], port: "")
        case 2: return ProxyTarget(scheme: "", name: parts[0], port: parts[1])
        case 3 where parts[0] == "http" || parts[0] == "https":
            return ProxyTarget(scheme: parts[0], name: parts[1], port: parts[2])
        default:
            throw .badRequest("invalid resource name \"\(text)\"")
        }
    }

    func proxy(_ request: RESTRequest, writer: HTTPResponseWriter) async throws {
        let resource = request.resource
        guard let rawName = request.name else { throw APIError.methodNotAllowed }
        let target = try Self.proxyTarget(rawName)
        let host: String
        var port: Int
        var useTLS = target.scheme == "https"
        switch (resource.group, resource.resource) {
        case ("", "pods"):
            guard let pod = try await readCurrent(resource, namespace: request.namespace, name: target.name,
                                                  resourceVersion: nil)?.parsed() else { throw resource.notFound(target.name) }
            guard let ip = pod["status"]?["podIP"]?.stringValue, !ip.isEmpty else {
                throw APIError.serviceUnavailable("pod \(target.name) does not have an IP address")
            }
            host = ip
            port = try Self.proxyPort(target.port, default: useTLS ? 443 : 80)
        case ("", "nodes"):
            let kubelet = try await kubeletAddress(node: target.name)
            host = kubelet.host
            port = try Self.proxyPort(target.port, default: kubelet.port)
            // The kubelet speaks HTTPS; a named other port says its own scheme.
            if target.scheme.isEmpty && target.port.isEmpty { useTLS = true }
        case ("", "services"):
            (host, port) = try await serviceEndpoint(namespace: request.namespace ?? "default", target: target)
        default:
            throw APIError.routeNotFound
        }
        try await forward(request, host: host, port: port, useTLS: useTLS, writer: writer)
    }

    static func proxyPort(_ text: String, default fallback: Int) throws(APIError) -> Int {
        if text.isEmpty { return fallback }
        guard let port = Int(text), (1...65535).contains(port) else {
            throw .badRequest("invalid port \"\(text)\": the proxy needs a port number")
        }
        return port
    }

    /// One ready address of the service's Endpoints, at the port `target` names (by name or number; the
    /// first when it names none).
    func serviceEndpoint(namespace: String, target: ProxyTarget) async throws -> (String, Int) {
        guard let endpoints = registry.resource(group: "", version: "v1", resource: "endpoints"),
              let object = try await readCurrent(endpoints, namespace: namespace, name: target.name, resourceVersion: nil)?.parsed()
        else { throw APIError.serviceUnavailable("no endpoints available for service \"\(target.name)\"") }
        for subset in object["subsets"]?.arrayValue ?? [] {
            guard let ip = subset["addresses"]?[0]?["ip"]?.stringValue else { continue }
            let ports = subset["ports"]?.arrayValue ?? []
            let chosen = target.port.isEmpty ? ports.first : ports.first {
                $0["name"]?.stringValue == target.port || $0["port"]?.intValue.map(String.init) == target.port
            }
            if let port = chosen?["port"]?.intValue { return (ip, Int(port)) }
        }
        throw APIError.serviceUnavailable("no endpoints available for service \"\(target.name)\"")
    }

    /// Sends the request on (path after `/proxy`, query, body and the headers that are not credentials) and
    /// streams the answer back with its status and headers.
    func forward(_ request: RESTRequest, host: String, port: Int, useTLS: Bool, writer: HTTPResponseWriter) async throws {
        guard let kubelets else { throw APIError.serviceUnavailable("this API server cannot reach kubelets") }
        let uri = Self.proxiedURI(request.http.head.uri, extraSegments: request.info.extraPath.count)
        var headers = Self.upgradeHeaders(request.http.head.headers)
        for hop in ["connection", "keep-alive", "upgrade", "te", "trailer"] { headers.remove(name: hop) }
        let response: KubeletResponse
        do {
            response = try await kubelets.send(host: host, port: port, method: request.http.method, uri: uri, headers: headers,
                                               body: request.http.body, useTLS: useTLS, on: writer.channel.eventLoop)
        } catch {
            throw APIError.serviceUnavailable("error trying to reach service: dial tcp \(host):\(port): \(error)")
        }
        defer { response.close() }
        var answer = HTTPHeaders()
        let skipped: Set = ["connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"]
        for (name, value) in response.head.headers where !skipped.contains(name.lowercased()) { answer.add(name: name, value: value) }
        let stream = try await writer.startStream(status: response.head.status, headers: answer)
        do {
            while let chunk = try await response.nextChunk() { try await stream.write(chunk) }
        } catch {
            logger.debug("proxied response ended early", metadata: ["host": "\(host)", "error": "\(error)"])
        }
        await stream.end()
    }

    /// What follows `/proxy` in the request's URI (raw, so escaping and a trailing slash survive), or `/`:
    /// its last `extraSegments` path segments.
    static func proxiedURI(_ uri: String, extraSegments: Int) -> String {
        let (path, query) = uri.firstIndex(of: "?").map { (String(uri[..<$0]), String(uri[$0...])) } ?? (uri, "")
        var segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        segments = Array(segments.suffix(extraSegments))
        var rest = "/" + segments.joined(separator: "/")
        if path.hasSuffix("/"), !segments.isEmpty { rest += "/" }
        return rest + query
    }
}
