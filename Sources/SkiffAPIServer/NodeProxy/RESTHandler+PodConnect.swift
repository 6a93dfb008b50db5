import Foundation
import NIOCore
import NIOHTTP1
import SkiffAPI

/// `pods/log`, `pods/exec`, `pods/attach` and `pods/portforward`: checked here as upstream's pod registry
/// checks them, then served by the kubelet of the pod's node through `KubeletClient` (logs streamed back,
/// the others spliced into one byte pipe after the kubelet's `101 Switching Protocols`).
extension RESTHandler {
    static let podConnectSubresources: Set = ["log", "exec", "attach", "portforward"]

    func podConnect(_ name: String, _ request: RESTRequest, writer: HTTPResponseWriter) async throws {
        let resource = request.resource
        guard let sub = resource.info.subresource(name), sub.verbs.contains(request.verb) else {
            throw APIError.methodNotSupported(group: resource.group, resource: "\(resource.resource)/\(name)", verb: request.verb)
        }
        guard let podName = request.name, let namespace = request.namespace else { throw APIError.badRequest("name is required") }
        guard let pod = try await readCurrent(resource, namespace: namespace, name: podName, resourceVersion: nil)?.parsed() else {
            throw resource.notFound(podName)
        }
        let query = request.query
        let nodeName = pod["spec"]?["nodeName"]?.stringValue ?? ""
        let escaped = { (segment: String) in segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? segment }
        switch name {
        case "log":
            let container = try Self.logContainer(query["container"], pod: pod, podName: podName)
            let parameters = try Self.logParameters(query, podName: podName)
            // Not yet on a node: nothing to read, as upstream answers with an empty stream.
            guard !nodeName.isEmpty else {
                await writer.send(status: .ok, headers: ["Content-Type": "text/plain"], body: writer.allocator.buffer(capacity: 0))
                return
            }
            let uri = "/containerLogs/\(escaped(namespace))/\(escaped(podName))/\(escaped(container))" + parameters
            try await streamLogs(node: nodeName, uri: uri, podName: podName, writer: writer)
        case "exec", "attach":
            let container = try Self.streamContainer(query["container"], pod: pod, podName: podName)
            guard !nodeName.isEmpty else { throw APIError.badRequest("pod \(podName) does not have a host assigned") }
            var parameters: [String] = []
            if name == "exec" {
                let command = query.all("command")
                guard !command.isEmpty else { throw APIError.badRequest("you must specify at least 1 command") }
                parameters = command.map { "command=\(Self.queryEscaped($0))" }
            }
            for flag in ["stdin", "stdout", "stderr", "tty"] where query.flag(flag) { parameters.append("\(flag)=1") }
            let path = name == "exec" ? "exec" : "attach"
            let uri = "/\(path)/\(escaped(namespace))/\(escaped(podName))/\(escaped(container))?" + parameters.joined(separator: "&")
            try await upgrade(node: nodeName, uri: uri, request: request, writer: writer)
        default:
            guard !nodeName.isEmpty else { throw APIError.badRequest("pod \(podName) does not have a host assigned") }
            // Upstream's PortForwardOptions take `ports`; its kubelet reads them as `port`.
            let ports = try Self.portForwardPorts(query).map { "port=\($0)" }
            let uri = "/portForward/\(escaped(namespace))/\(escaped(podName))" + (ports.isEmpty ? "" : "?" + ports.joined(separator: "&"))
            try await upgrade(node: nodeName, uri: uri, request: request, writer: writer)
        }
    }

    // MARK: Checks, as upstream's pod strategy words them

    /// The container logs are read from: the named one (it must exist), else the only one.
    static func logContainer(_ requested: String?, pod: JSONValue, podName: String) throws -> String {
        let spec = pod["spec"]
        let containers = names(spec?["containers"])
        let all = names(spec?["initContainers"]) + containers + names(spec?["ephemeralContainers"])
        if let requested, !requested.isEmpty {
            guard all.contains(requested) else { throw APIError.badRequest("container \(requested) is not valid for pod \(podName)") }
            return requested
        }
        switch containers.count {
        case 1: return containers[0]
        case 0: throw APIError.badRequest("a container name must be specified for pod \(podName)")
        default:
            throw APIError.badRequest("a container name must be specified for pod \(podName), choose one of: [\(all.joined(separator: " "))]")
        }
    }

    /// The container of an exec or attach (upstream's `streamLocation` wording).
    static func streamContainer(_ requested: String?, pod: JSONValue, podName: String) throws -> String {
        let spec = pod["spec"]
        let containers = names(spec?["containers"])
        let inits = names(spec?["initContainers"])
        if let requested, !requested.isEmpty {
            guard (inits + containers + names(spec?["ephemeralContainers"])).contains(requested) else {
                throw APIError.badRequest("container \(requested) is not valid for pod \(podName)")
            }
            return requested
        }
        switch containers.count {
        case 1: return containers[0]
        case 0: throw APIError.badRequest("a container name must be specified for pod \(podName)")
        default:
            var message = "a container name must be specified for pod \(podName), choose one of: [\(containers.joined(separator: " "))]"
            if !inits.isEmpty { message += " or one of the init containers: [\(inits.joined(separator: " "))]" }
            throw APIError.badRequest(message)
        }
    }

    /// The kubelet's query for a log request, after `PodLogOptions` validation (422 as upstream).
    static func logParameters(_ query: QueryParameters, podName: String) throws -> String {
        func integer(_ key: String) throws -> Int64? {
            guard let text = query[key], !text.isEmpty else { return nil }
            guard let value = Int64(text) else { throw APIError.badRequest("\(key): invalid value \"\(text)\": must be an integer") }
            return value
        }
        let tail = try integer("tailLines"), limit = try integer("limitBytes"), since = try integer("sinceSeconds")
        let sinceTime = query["sinceTime"].flatMap { $0.isEmpty ? nil : $0 }
        var problems: [FieldProblem] = []
        if let tail, tail < 0 { problems.append(.invalid("tailLines", .int(tail), "must be greater than or equal to 0")) }
        if let limit, limit < 1 { problems.append(.invalid("limitBytes", .int(limit), "must be greater than 0")) }
        if since != nil, sinceTime != nil {
            problems.append(.forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified"))
        } else if let since, since < 1 {
            problems.append(.invalid("sinceSeconds", .int(since), "must be greater than 0"))
        }
        if let sinceTime, meta.v1.Time(rfc3339: sinceTime).date == nil {
            throw APIError.badRequest("sinceTime: invalid value \"\(sinceTime)\": not an RFC 3339 time")
        }
        guard problems.isEmpty else { throw FieldProblem.invalid(group: "", kind: "PodLogOptions", name: podName, problems) }
        var parameters: [String] = []
        for flag in ["follow", "previous", "timestamps"] where query.flag(flag) { parameters.append("\(flag)=true") }
        if let tail { parameters.append("tailLines=\(tail)") }
        if let limit { parameters.append("limitBytes=\(limit)") }
        if let since { parameters.append("sinceSeconds=\(since)") }
        if let sinceTime { parameters.append("sinceTime=\(queryEscaped(sinceTime))") }
        return parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&")
    }

    /// `PortForwardOptions.ports`, each a port number (repeated or comma-separated), as upstream's validation.
    static func portForwardPorts(_ query: QueryParameters) throws -> [Int] {
        var ports: [Int] = []
        for value in query.all("ports") {
            for part in value.split(separator: ",") {
                guard let port = Int32(part.trimmingCharacters(in: .whitespaces)) else {
                    throw APIError.badRequest("ports: invalid value \"\(value)\": strconv.ParseInt: parsing \"\(part)\": invalid syntax")
                }
                guard (1...65535).contains(port) else {
                    throw FieldProblem.invalid(group: "", kind: "PortForwardOptions", name: "",
                                               [.invalid("ports", .int(Int64(port)), "must be between 1 and 65535, inclusive")])
                }
                ports.append(Int(port))
            }
        }
        return ports
    }

    static func names(_ list: JSONValue?) -> [String] { (list?.arrayValue ?? []).compactMap { $0["name"]?.stringValue } }

    static func queryEscaped(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    // MARK: Talking to the kubelet

    /// Where the node's kubelet listens: its InternalIP (else Hostname, ExternalIP) and `daemonEndpoints` port.
    func kubeletAddress(node name: String) async throws -> (host: String, port: Int) {
        guard let nodes = registry.resource(group: "", version: "v1", resource: "nodes"),
              let node = try await readCurrent(nodes, namespace: nil, name: name, resourceVersion: nil)?.parsed() else {
            throw APIError.notFound(group: "", resource: "nodes", name: name)
        }
        let addresses = node["status"]?["addresses"]?.arrayValue ?? []
        let host = ["InternalIP", "Hostname", "ExternalIP"].lazy.compactMap { type in
            addresses.first { $0["type"]?.stringValue == type }?["address"]?.stringValue
        }.first
        guard let host else { throw APIError.badRequest("node \(name) has no address the API server can reach its kubelet at") }
        let port = node["status"]?["daemonEndpoints"]?["kubeletEndpoint"]?["Port"]?.intValue.map(Int.init) ?? 10250
        return (host, port)
    }

    func connectKubelet(node: String, method: HTTPMethod, uri: String, headers: HTTPHeaders,
                        writer: HTTPResponseWriter) async throws -> KubeletResponse {
        guard let kubelets else { throw APIError.serviceUnavailable("this API server cannot reach kubelets") }
        let (host, port) = try await kubeletAddress(node: node)
        do {
            return try await kubelets.send(host: host, port: port, method: method, uri: uri, headers: headers,
                                           on: writer.channel.eventLoop)
        } catch {
            // Upstream's wording when the kubelet cannot be reached.
            throw APIError.internalError("error dialing backend: dial tcp \(host):\(port): \(error)")
        }
    }

    /// The kubelet's answer to a request that failed, as a Status of its code (its text as the message).
    static func kubeletError(_ response: KubeletResponse, body: ByteBuffer) -> APIError {
        let code = Int(response.head.status.code)
        let text = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
        if let status = try? JSONValue(parsing: Array(text.utf8)), let message = status["message"]?.stringValue,
           status["kind"]?.stringValue == "Status" {
            return APIError(code: code, reason: status["reason"]?.stringValue ?? "", message: message)
        }
        let reason = switch code {
        case 400: "BadRequest"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 409: "Conflict"
        default: "InternalError"
        }
        return APIError(code: code, reason: reason, message: text.isEmpty ? response.head.status.reasonPhrase : text)
    }

    func streamLogs(node: String, uri: String, podName: String, writer: HTTPResponseWriter) async throws {
        let response = try await connectKubelet(node: node, method: .GET, uri: uri, headers: [:], writer: writer)
        defer { response.close() }
        guard response.head.status == .ok else { throw Self.kubeletError(response, body: try await response.body()) }
        let stream = try await writer.startStream(status: .ok, headers: ["Content-Type": "text/plain"])
        do {
            while let chunk = try await response.nextChunk() { try await stream.write(chunk) }
        } catch {
            logger.debug("log stream ended early", metadata: ["pod": "\(podName)", "error": "\(error)"])
        }
        await stream.end()
    }

    /// Headers of the client's upgrade request the kubelet needs (protocol negotiation), not its credentials.
    static func upgradeHeaders(_ headers: HTTPHeaders) -> HTTPHeaders {
        let dropped: Set = ["authorization", "host", "content-length", "cookie", "transfer-encoding", "proxy-authorization"]
        var forwarded = HTTPHeaders()
        for (name, value) in headers where !dropped.contains(name.lowercased()) && !name.lowercased().hasPrefix("impersonate-") {
            forwarded.add(name: name, value: value)
        }
        return forwarded
    }

    func upgrade(node: String, uri: String, request: RESTRequest, writer: HTTPResponseWriter) async throws {
        let response = try await connectKubelet(node: node, method: request.http.method, uri: uri,
                                                headers: Self.upgradeHeaders(request.http.head.headers), writer: writer)
        guard response.head.status == .switchingProtocols else {
            defer { response.close() }
            let body = try await response.body()
            // A kubelet's refusal reaches the client as the kubelet said it (kubectl prints it after
            // "unable to upgrade connection").
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: response.head.headers.first(name: "Content-Type") ?? "text/plain; charset=utf-8")
            await writer.send(status: response.head.status, headers: headers, body: body)
            return
        }
        try await response.splice(into: writer)
    }
}
