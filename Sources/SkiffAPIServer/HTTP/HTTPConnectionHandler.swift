import NIOConcurrencyHelpers
public import NIOCore
import NIOHTTP1
import NIOSSL
import X509

/// What the server calls for each complete request. It must finish the response through `writer`.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest, writer: HTTPResponseWriter) async
}

/// How long a connection may take over each part of a request before it is closed, as Go's `http.Server`
/// bounds kube-apiserver's (`ReadHeaderTimeout` 32 s, `IdleTimeout` 90 s): a client that connects and
/// says nothing, sends its headers a byte at a time or stops halfway through a body holds a socket only
/// this long.
public struct HTTPTimeouts: Sendable {
    /// From the connection's start (TLS handshake included) or the end of the last response to a complete
    /// request head.
    public var header: TimeAmount
    /// From a request head to the end of its body.
    public var body: TimeAmount
    /// A kept-alive connection with no request in progress.
    public var idle: TimeAmount

    public init(header: TimeAmount = .seconds(32), body: TimeAmount = .seconds(60), idle: TimeAmount = .seconds(90)) {
        self.header = header
        self.body = body
        self.idle = idle
    }
}

/// Collects one request at a time (head and body, refusing bodies over the limit with 413), hands it
/// to the responder in a task this connection owns, and cancels that task when the client goes away.
/// Expensive requests (large, YAML or protobuf bodies) run off the event loop so they cannot stall the
/// other connections that share it.
final class HTTPConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    enum State {
        case idle
        case receiving(HTTPRequestHead, ByteBuffer)
        /// The body was too large and a 413 was sent; drop parts until the request ends.
        case discarding
        case responding
    }

    let responder: any HTTPResponder
    let maxBodySize: Int
    let tooLargeBody: @Sendable (Int) -> (HTTPResponseStatus, HTTPHeaders, [UInt8])
    var state = State.idle
    var identity: ClientCertificateIdentity?
    var identityResolved = false
    var task: Task<Void, Never>?
    /// Counts dispatched requests, so a finished response resets state only if no newer request
    /// has begun: the client may send its next request as soon as the last byte of this response
    /// is written, before the completion below runs.
    var dispatched: UInt64 = 0
    /// Runs this connection's request tasks on its event loop: a request then costs no thread hop
    /// into the task and none back out to write the response.
    var executor: EventLoopTaskExecutor?

    let timeouts: HTTPTimeouts
    /// When the current phase (header, body, idle) must have ended; nil while a response is being made.
    var deadline: NIODeadline?
    /// The one wake-up pending for this connection. A phase change only moves `deadline`: the wake-up, when
    /// it comes, closes the connection if the deadline passed or waits again for the new one, so a request
    /// costs no timer scheduled and cancelled per phase.
    var timer: Scheduled<Void>?
    /// Bodies at least this large are handled off the event loop.
    static let offloadBodySize = 64 * 1024

    init(responder: any HTTPResponder, maxBodySize: Int, timeouts: HTTPTimeouts = HTTPTimeouts(),
         tooLargeBody: @escaping @Sendable (Int) -> (HTTPResponseStatus, HTTPHeaders, [UInt8])) {
        self.responder = responder
        self.maxBodySize = maxBodySize
        self.timeouts = timeouts
        self.tooLargeBody = tooLargeBody
    }

    func handlerAdded(context: ChannelHandlerContext) {
        arm(context: context, after: timeouts.header)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    /// Closes the connection after `delay` unless another phase begins first (nil: no limit for now).
    private func arm(context: ChannelHandlerContext, after delay: TimeAmount?) {
        guard let delay else {
            deadline = nil
            return
        }
        let due = NIODeadline.now() + delay
        deadline = due
        if timer == nil { wake(context: context, at: due) }
    }

    private func wake(context: ChannelHandlerContext, at due: NIODeadline) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: due) {
            let (handler, context) = bound.value
            handler.timer = nil
            guard let deadline = handler.deadline else { return }
            if deadline <= .now() {
                context.close(promise: nil)
            } else {
                handler.wake(context: context, at: deadline)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            arm(context: context, after: timeouts.body)
            resolveIdentity(context: context)
            if let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length > maxBodySize {
                refuseTooLarge(context: context, head: head)
                return
            }
            var buffer = context.channel.allocator.buffer(capacity: 0)
            if let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length > 0 {
                buffer.reserveCapacity(length)
            }
            state = .receiving(head, buffer)
        case .body(var chunk):
            guard case .receiving(let head, var buffer) = state else { return }
            if buffer.readableBytes + chunk.readableBytes > maxBodySize {
                refuseTooLarge(context: context, head: head)
                return
            }
            state = .idle  // drop our reference so `buffer` is uniquely owned while we append
            buffer.writeBuffer(&chunk)
            state = .receiving(head, buffer)
        case .end:
            switch state {
            case .receiving(let head, let body):
                arm(context: context, after: nil)
                dispatch(context: context, head: head, body: body)
            case .discarding:
                arm(context: context, after: timeouts.idle)
                state = .idle
            case .idle, .responding:
                break
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        task?.cancel()
        task = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Protocol errors (bad HTTP, TLS failures) end the connection; nothing to tell a peer that speaks nonsense.
        context.close(promise: nil)
    }

    private func dispatch(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer) {
        state = .responding
        dispatched &+= 1
        let number = dispatched
        let request = HTTPRequest(head: head, body: body, clientCertificate: identity,
                                  remoteAddress: context.channel.remoteAddress)
        let promise = context.eventLoop.makePromise(of: Void.self)
        let keepAlive = head.isKeepAlive
        let writer = HTTPResponseWriter(channel: context.channel, keepAlive: keepAlive && head.method != .CONNECT,
                                        version: head.version, isConnect: head.method == .CONNECT,
                                        completion: ResponseCompletion(promise))
        let responder = self.responder
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let completion = writer.completion
        promise.futureResult.whenComplete { _ in
            let (handler, context) = loopBound.value
            if completion.isUpgraded { return }
            if !keepAlive { context.close(promise: nil) }
            guard handler.dispatched == number else { return }
            handler.task = nil
            if case .responding = handler.state {
                handler.state = .idle
                if keepAlive { handler.arm(context: context, after: handler.timeouts.idle) }
            }
        }
        let work: @Sendable () async -> Void = {
            await responder.respond(to: request, writer: writer)
            if !writer.completion.hasBegun {
                // A responder that forgot to answer must not hang the connection.
                var buffer = writer.allocator.buffer(capacity: 0)
                buffer.writeString("internal error: no response")
                await writer.send(status: .internalServerError, body: buffer)
            }
        }
        if Self.isExpensive(head: head, bodySize: body.readableBytes) {
            // On the cooperative pool, not this connection's event loop: parsing it may take a while.
            task = Task(operation: work)
            return
        }
        let executor = self.executor ?? EventLoopTaskExecutor(context.eventLoop)
        self.executor = executor
        task = Task(executorPreference: executor, operation: work)
    }

    /// Whether a request may cost more than an event loop should spend on one connection: a large body,
    /// YAML (whose parser is slower than JSON's, and whose aliases expand) or protobuf. A small JSON body,
    /// patches included (their growth is bounded), stays on the loop: the status patches of many pods would
    /// otherwise each pay two thread hops.
    static func isExpensive(head: HTTPRequestHead, bodySize: Int) -> Bool {
        if bodySize >= offloadBodySize { return true }
        guard bodySize > 0, let type = head.headers.first(name: "Content-Type")?.lowercased() else { return false }
        return type.contains("yaml") || type.contains("protobuf")
    }

    private func refuseTooLarge(context: ChannelHandlerContext, head: HTTPRequestHead) {
        state = .discarding
        let (status, headers, body) = tooLargeBody(maxBodySize)
        var responseHeaders = headers
        responseHeaders.replaceOrAdd(name: "Content-Length", value: String(body.count))
        responseHeaders.replaceOrAdd(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: responseHeaders))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    private func resolveIdentity(context: ChannelHandlerContext) {
        guard !identityResolved else { return }
        identityResolved = true
        guard let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
              let certificate = handler.peerCertificate,
              let der = try? certificate.toDERBytes(),
              let parsed = try? Certificate(derEncoded: der)
        else { return }
        identity = ClientCertificateIdentity(subject: parsed.subject)
    }
}

/// Completes a response exactly once (a promise completed twice would trap), and remembers whether
/// one was started at all.
final class ResponseCompletion: Sendable {
    struct State {
        var begun = false
        var done = false
        /// The connection switched protocols: it is no longer this handler's to close.
        var upgraded = false
    }

    let promise: EventLoopPromise<Void>
    let state = NIOLockedValueBox(State())

    init(_ promise: EventLoopPromise<Void>) { self.promise = promise }

    /// Whether a response was started (it may still be on its way to the socket).
    var hasBegun: Bool { state.withLockedValue { $0.begun } }

    func begin() { state.withLockedValue { $0.begun = true } }

    /// The response is a protocol switch: the connection lives on without the HTTP handlers.
    func markUpgraded() { state.withLockedValue { $0.begun = true; $0.upgraded = true } }

    var isUpgraded: Bool { state.withLockedValue { $0.upgraded } }

    /// Begins the response unless one already began (then false: a second head would break HTTP).
    func beginIfFirst() -> Bool {
        state.withLockedValue { state in
            if state.begun { return false }
            state.begun = true
            return true
        }
    }

    func complete() {
        let first = state.withLockedValue { state -> Bool in
            defer { state.begun = true; state.done = true }
            return !state.done
        }
        if first { promise.succeed(()) }
    }
}

/// A task executor that runs jobs on one NIO event loop, so a request's task shares its connection's
/// thread. A job enqueued from the loop itself runs on a later tick, never re-entrantly.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

extension ClientCertificateIdentity {
    /// Reads CN and O from a certificate subject, as Kubernetes' x509 authenticator does.
    init(subject: DistinguishedName) {
        var commonName = ""
        var organizations: [String] = []
        for rdn in subject {
            for attribute in rdn {
                if attribute.type == .RDNAttributeType.commonName {
                    commonName = attribute.value.description
                } else if attribute.type == .RDNAttributeType.organizationName {
                    organizations.append(attribute.value.description)
                }
            }
        }
        self.init(commonName: commonName, organizations: organizations)
    }
}
