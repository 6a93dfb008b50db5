import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOSSL
import X509

/// What the server calls for each complete request. It must finish the response through `writer`.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest, writer: HTTPResponseWriter) async
}

/// Collects one request at a time (head and body, refusing bodies over the limit with 413), hands it
/// to the responder in a task this connection owns, and cancels that task when the client goes away.
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

    init(responder: any HTTPResponder, maxBodySize: Int,
         tooLargeBody: @escaping @Sendable (Int) -> (HTTPResponseStatus, HTTPHeaders, [UInt8])) {
        self.responder = responder
        self.maxBodySize = maxBodySize
        self.tooLargeBody = tooLargeBody
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
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
                dispatch(context: context, head: head, body: body)
            case .discarding:
                state = .idle
            case .idle, .responding:
                break
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
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
        let writer = HTTPResponseWriter(channel: context.channel, keepAlive: keepAlive, version: head.version,
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
            if case .responding = handler.state { handler.state = .idle }
        }
        let executor = self.executor ?? EventLoopTaskExecutor(context.eventLoop)
        self.executor = executor
        task = Task(executorPreference: executor) {
            await responder.respond(to: request, writer: writer)
            if !writer.completion.hasBegun {
                // A responder that forgot to answer must not hang the connection.
                var buffer = writer.allocator.buffer(capacity: 0)
                buffer.writeString("internal error: no response")
                await writer.send(status: .internalServerError, body: buffer)
            }
        }
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
