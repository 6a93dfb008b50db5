import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// What the kubelet's endpoints work with: where containers are, the runtime, who waits for exits.
struct KubeletEndpoints: Sendable {
    let locator: any ContainerLocator
    let runtime: any ContainerRuntime
    let exits: ContainerExitWatchers
    let logger: Logger

    /// The message and HTTP code upstream's kubelet answers a failed lookup with.
    static func describe(_ error: ContainerLookupError) -> (code: HTTPResponseStatus, message: String) {
        switch error {
        case .podNotFound(_, let pod): (.notFound, "pod \"\(pod)\" does not exist")
        case .containerNotFound(let container, let pod): (.notFound, "container \"\(container)\" not found in pod \"\(pod)\"")
        }
    }

    /// Whether the connection presented a client certificate our CA signed (NIOSSL verified it in the handshake).
    static func isAuthenticated(_ channel: any Channel) -> Bool {
        ((try? channel.pipeline.syncOperations.nioSSL_peerCertificate()) ?? nil) != nil
    }
}

/// The plain HTTP side of the kubelet server: `containerLogs` (streamed, followed), `healthz`, and the errors
/// of streaming requests that were not upgraded (no client certificate, unknown pod, no upgrade headers).
/// Errors are plain text with upstream's words, as its kubelet writes them.
final class KubeletHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let endpoints: KubeletEndpoints
    /// The log follower of the request being answered, stopped when the client goes.
    private var follower: ContainerLogFollower?

    init(endpoints: KubeletEndpoints) {
        self.endpoints = endpoints
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        guard KubeletEndpoints.isAuthenticated(context.channel) else {
            respond(context: context, status: .unauthorized, message: "Unauthorized")
            return
        }
        let (route, query) = KubeletRoute.parse(uri: head.uri)
        switch route {
        case .healthz:
            respond(context: context, status: .ok, message: "ok", newline: false)
        case .notFound:
            respond(context: context, status: .notFound, message: "404 page not found")
        case .containerLogs(let namespace, let pod, let container):
            guard head.method == .GET else {
                respond(context: context, status: .methodNotAllowed, message: "405: Method Not Allowed")
                return
            }
            logs(context: context, namespace: namespace, pod: pod, container: container, query: query)
        case .exec, .attach, .portForward:
            refuseStreaming(context: context, head: head, route: route, query: query)
        }
    }

    /// A streaming request that was not upgraded: says why, as upstream's kubelet would (bad query, unknown
    /// pod or container, no upgrade headers).
    private func refuseStreaming(context: ChannelHandlerContext, head: HTTPRequestHead, route: KubeletRoute,
                                 query: [(String, String)]) {
        let (namespace, pod) = route.namespaceAndPod ?? ("", "")
        let container = route.container
        let webSocket = head.headers["Upgrade"].contains { $0.lowercased() == "websocket" }
        let tunnel = head.headers["Sec-WebSocket-Protocol"].contains { $0.contains(KubeletUpgraders.tunnelledPortForward) }
        if case .portForward = route, webSocket, !tunnel, case .failure(let error) = WebSocketPortForwardHandler.ports(query: query) {
            respond(context: context, status: .badRequest, message: error.message)
            return
        }
        if container != nil {
            do { _ = try RemoteCommandOptions(query: query, exec: route.isExec) } catch {
                respond(context: context, status: .badRequest, message: error.message)
                return
            }
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let locator = endpoints.locator
        context.eventLoop.makeFutureWithTask { () -> (HTTPResponseStatus, String) in
            do throws(ContainerLookupError) {
                _ = try await locator.locate(namespace: namespace, pod: pod, container: container ?? "")
            } catch {
                // Port-forward names no container: only a missing pod matters.
                if case .containerNotFound = error, container == nil {} else { return KubeletEndpoints.describe(error) }
            }
            return (.badRequest, "Upgrade request required")
        }.whenSuccess { code, message in
            let (handler, context) = bound.value
            handler.respond(context: context, status: code, message: message)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        follower?.cancel()
        follower = nil
        context.fireChannelInactive()
    }

    func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, message: String, newline: Bool = true) {
        let body = message + (newline ? "\n" : "")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    // MARK: Logs

    private func logs(context: ChannelHandlerContext, namespace: String, pod: String, container: String,
                      query: [(String, String)]) {
        let options: ContainerLogOptions
        do { options = try ContainerLogOptions(query: query) } catch {
            respond(context: context, status: .badRequest, message: error.message)
            return
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let endpoints = self.endpoints
        context.eventLoop.makeFutureWithTask { () -> Result<(ContainerTarget, Int), ContainerLogsError> in
            do throws(ContainerLookupError) {
                let target = try await endpoints.locator.locate(namespace: namespace, pod: pod, container: container)
                return Self.chooseRun(target, options: options).map { (target, $0) }
            } catch {
                let (code, message) = KubeletEndpoints.describe(error)
                return .failure(ContainerLogsError(code: code, message: message))
            }
        }.whenSuccess { result in
            let (handler, context) = bound.value
            switch result {
            case .failure(let error):
                handler.respond(context: context, status: error.code, message: error.message)
            case .success(let (target, run)):
                handler.streamLogs(context: context, target: target, run: run, options: options)
            }
        }
    }

    struct ContainerLogsError: Error {
        var code: HTTPResponseStatus
        var message: String
    }

    /// Which run's log to show, or upstream's error when there is none.
    static func chooseRun(_ target: ContainerTarget, options: ContainerLogOptions) -> Result<Int, ContainerLogsError> {
        if options.previous {
            guard let run = target.previousRun else {
                return .failure(.init(code: .badRequest,
                                      message: "previous terminated container \"\(target.container)\" in pod \"\(target.podName)\" not found"))
            }
            return .success(run)
        }
        guard let run = target.currentRun else {
            let why = switch target.waitingReason ?? "ContainerCreating" {
            case "ErrImagePull": "image can't be pulled"
            case "ImagePullBackOff": "trying and failing to pull image"
            case let reason: reason
            }
            return .failure(.init(code: .badRequest,
                                  message: "container \"\(target.container)\" in pod \"\(target.podName)\" is waiting to start: \(why)"))
        }
        return .success(run)
    }

    private func streamLogs(context: ChannelHandlerContext, target: ContainerTarget, run: Int, options: ContainerLogOptions) {
        let file = endpoints.runtime.logFile(podUID: target.podUID, container: target.container, restartCount: run)
        let follow = options.follow && !options.previous && target.runningID != nil && run == target.currentRun
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        let channel = context.channel
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let endpoints = self.endpoints
        NIOThreadPool.singleton.runIfActive(eventLoop: context.eventLoop) { () -> (ContainerLogReader, Int) in
            var reader = ContainerLogReader(options: options)
            let consumed = reader.read(file: file, includeUnfinished: !follow) { output in
                (try? channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: output)))).wait()) != nil
            }
            return (reader, consumed)
        }.whenComplete { result in
            let (handler, context) = bound.value
            guard follow, case .success(let (reader, consumed)) = result, !reader.isExhausted, let id = target.runningID,
                  let follower = try? ContainerLogFollower(file: file) else {
                context.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
                return
            }
            handler.follower = follower
            let token = endpoints.exits.watch(id) { follower.containerExited() }
            follower.start(offset: consumed, handle: ReaderBox(reader).handler(channel: channel), finished: {
                endpoints.exits.unwatch(id, token: token)
                channel.eventLoop.execute {
                    let (handler, context) = bound.value
                    if handler.follower === follower { handler.follower = nil }
                    context.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
                }
            })
            // The run may have ended before the watch was set.
            Task {
                let now = try? await endpoints.locator.locate(namespace: target.namespace, pod: target.podName,
                                                              container: target.container)
                if now?.runningID != id { follower.containerExited() }
            }
        }
    }
}

/// The reader of a followed log, used only by the follower's thread.
private final class ReaderBox: @unchecked Sendable {
    var reader: ContainerLogReader

    init(_ reader: ContainerLogReader) { self.reader = reader }

    func handler(channel: any Channel) -> @Sendable ([CRILogEntry]) -> Bool {
        { entries in
            let output = self.reader.render(entries)
            if !output.isEmpty {
                do { try channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: output)))).wait() } catch {
                    return false
                }
            }
            return !self.reader.isExhausted
        }
    }
}
