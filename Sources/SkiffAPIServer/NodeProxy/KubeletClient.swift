import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The API server's connections to kubelets (`pods/log`, `exec`, `attach`, `portforward`): TLS with the
/// API server's client certificate, which the kubelet checks against the cluster CA. The kubelet's serving
/// certificate is not verified, as upstream does without `--kubelet-certificate-authority`.
final class KubeletClient: Sendable {
    let tls: NIOSSLContext
    let connectTimeout: TimeAmount

    init(certificatePEM: String, keyPEM: String, connectTimeout: TimeAmount = .seconds(5)) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        configuration.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map { .certificate($0) }
        configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
        configuration.applicationProtocols = ["http/1.1"]
        tls = try NIOSSLContext(configuration: configuration)
        self.connectTimeout = connectTimeout
    }

    /// Sends one request to the kubelet at `host:port` over a connection on `eventLoop` (the client's, so an
    /// upgraded connection can be glued to it) and returns once the response head arrived.
    /// `body` is sent with the request; `useTLS: false` speaks plain HTTP (a pod's own port, for `pods/proxy`).
    func send(host: String, port: Int, method: HTTPMethod, uri: String, headers: HTTPHeaders, body: ByteBuffer? = nil,
              useTLS: Bool = true, on eventLoop: any EventLoop) async throws -> KubeletResponse {
        let tls = useTLS ? self.tls : nil
        let (channel, handlers) = try await ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handlers = KubeletResponse.Handlers()
                    let operations = channel.pipeline.syncOperations
                    if let tls { try operations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil)) }
                    try operations.addHandler(handlers.tap)
                    try operations.addHandler(handlers.encoder)
                    try operations.addHandler(handlers.decoder)
                    try operations.addHandler(handlers.collector)
                    return (channel, NIOLoopBound(handlers, eventLoop: channel.eventLoop))
                }
            }
        let collector = try await channel.eventLoop.submit { handlers.value.collector }.get()
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
        head.headers.replaceOrAdd(name: "Host", value: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
        head.headers.replaceOrAdd(name: "Content-Length", value: String(body?.readableBytes ?? 0))
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body, body.readableBytes > 0 { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil))
        do {
            let responseHead = try await collector.headFuture(on: channel.eventLoop).get()
            return KubeletResponse(channel: channel, head: responseHead, collector: collector, handlers: handlers)
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }
}

/// A kubelet's answer: its head, then either its body (`nextChunk`) or, after `101 Switching Protocols`,
/// the raw connection (`glue(to:)`).
struct KubeletResponse: Sendable {
    let channel: any Channel
    let head: HTTPResponseHead
    let collector: ResponseCollector
    /// The HTTP handlers of the connection, removed after a 101.
    let handlers: NIOLoopBound<Handlers>

    struct Handlers {
        let tap = UpgradeTap()
        let encoder = HTTPRequestEncoder()
        let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
        let collector: ResponseCollector

        init() { collector = ResponseCollector() }
    }

    /// The next piece of the body; nil at its end.
    func nextChunk() async throws -> ByteBuffer? { try await collector.next(channel: channel) }

    func close() { channel.close(promise: nil) }

    /// The whole body (an error response), up to `limit` bytes.
    func body(limit: Int = 64 * 1024) async throws -> ByteBuffer {
        var all = channel.allocator.buffer(capacity: 0)
        while var chunk = try await nextChunk() {
            if all.readableBytes < limit { all.writeBuffer(&chunk) }
        }
        return all
    }
}

/// Hands the response head and body pieces to the request's task; reads from the kubelet pause while
/// more than a few pieces wait, so a slow client slows the kubelet instead of filling memory.
final class ResponseCollector: ChannelDuplexHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = NIOAny

    /// Made when added to a pipeline (the event loop is known then); nil again once settled.
    private var headPromise: EventLoopPromise<HTTPResponseHead>?
    private var headResult: EventLoopFuture<HTTPResponseHead>?
    private let state = NIOLockedValueBox(State())
    private var context: ChannelHandlerContext?
    private var readPending = false
    static let maxBuffered = 8

    struct State {
        var chunks: [ByteBuffer] = []
        var finished: (any Error)?? = nil
        var waiter: CheckedContinuation<ByteBuffer?, any Error>?
    }

    struct Closed: Error {}

    /// The response head, once it arrived.
    func headFuture(on eventLoop: any EventLoop) -> EventLoopFuture<HTTPResponseHead> {
        eventLoop.flatSubmit { self.headResult ?? eventLoop.makeFailedFuture(Closed()) }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let promise = context.eventLoop.makePromise(of: HTTPResponseHead.self)
        headPromise = promise
        headResult = promise.futureResult
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        settleHead(.failure(Closed()))
    }

    private func settleHead(_ result: Result<HTTPResponseHead, any Error>) {
        guard let promise = headPromise else { return }
        headPromise = nil
        promise.completeWith(result)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            settleHead(.success(head))
        case .body(let buffer):
            deliver(buffer: buffer, end: nil)
        case .end:
            deliver(buffer: nil, end: .some(nil))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        settleHead(.failure(Closed()))
        deliver(buffer: nil, end: .some(nil))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        settleHead(.failure(error))
        deliver(buffer: nil, end: .some(error))
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if state.withLockedValue({ $0.chunks.count }) >= Self.maxBuffered {
            readPending = true
        } else {
            context.read()
        }
    }

    private func deliver(buffer: ByteBuffer?, end: (any Error)??) {
        let (waiter, value) = state.withLockedValue { state -> (CheckedContinuation<ByteBuffer?, any Error>?, Result<ByteBuffer?, any Error>?) in
            if state.finished != nil { return (nil, nil) }
            if let buffer { state.chunks.append(buffer) }
            if let end { state.finished = end }
            guard let waiter = state.waiter else { return (nil, nil) }
            state.waiter = nil
            if !state.chunks.isEmpty { return (waiter, .success(state.chunks.removeFirst())) }
            if case .some(.some(let error)) = state.finished { return (waiter, .failure(error)) }
            return (waiter, .success(nil))
        }
        if let waiter, let value { waiter.resume(with: value) }
    }

    func next(channel: any Channel) async throws -> ByteBuffer? {
        let result: ByteBuffer? = try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLockedValue { state -> Result<ByteBuffer?, any Error>? in
                if !state.chunks.isEmpty { return .success(state.chunks.removeFirst()) }
                if case .some(.some(let error)) = state.finished { return .failure(error) }
                if state.finished != nil { return .success(nil) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
        channel.eventLoop.execute { self.resumeReads() }
        return result
    }

    private func resumeReads() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }
}

extension KubeletResponse {
    /// After `101 Switching Protocols`: relays the kubelet's 101 to the client and turns both connections into
    /// one byte pipe, so the client and the kubelet speak their streaming protocol (WebSocket, SPDY) directly.
    func splice(into writer: HTTPResponseWriter) async throws {
        let client = writer.channel
        guard client.eventLoop === channel.eventLoop else {
            channel.close(promise: nil)
            throw SpliceError()
        }
        var raw = channel.allocator.buffer(capacity: 256)
        raw.writeString("HTTP/1.1 \(head.status.code) \(head.status.reasonPhrase)\r\n")
        for (name, value) in head.headers { raw.writeString("\(name): \(value)\r\n") }
        raw.writeString("\r\n")
        let kubelet = channel
        let handlers = self.handlers
        let rawHead = raw
        writer.completion.markUpgraded()
        try await client.eventLoop.submit {
            // One synchronous step on the shared event loop: no byte can arrive between these changes.
            let tap = handlers.value.tap
            try writer.detachHTTPHandlers()
            client.write(rawHead, promise: nil)
            // What the kubelet sent after its 101 so far, kept by the tap even if its connection is gone.
            for bytes in tap.takeHeld() { client.write(bytes, promise: nil) }
            if tap.sawEOF || !kubelet.isActive {
                try writer.detachRequestDecoder()
                client.writeAndFlush(client.allocator.buffer(capacity: 0)).whenComplete { _ in client.close(promise: nil) }
                kubelet.close(promise: nil)
                return
            }
            let (clientGlue, kubeletGlue) = GlueHandler.matchedPair()
            try client.pipeline.syncOperations.addHandler(clientGlue)
            let operations = kubelet.pipeline.syncOperations
            // Right after the tap: the kubelet's bytes go to the client without passing the HTTP handlers,
            // whose removal NIO may finish on a later tick.
            try operations.addHandler(kubeletGlue, position: .after(tap))
            tap.passThrough()
            operations.removeHandler(handlers.value.collector, promise: nil)
            operations.removeHandler(handlers.value.decoder, promise: nil)
            operations.removeHandler(handlers.value.encoder, promise: nil)
            try writer.detachRequestDecoder()
            client.flush()
            client.read()
            kubelet.read()
        }.get()
        writer.completion.complete()
    }

    struct SpliceError: Error, CustomStringConvertible {
        var description: String { "the kubelet connection is not on the client's event loop" }
    }
}

/// Sits between TLS and the HTTP decoder of a kubelet connection and finds the end of the response head
/// itself. After a `101` head, the bytes that follow belong to the new protocol: it keeps them (and whether
/// the connection ended) instead of passing them to the HTTP decoder, which would drop them at EOF or at
/// pipeline teardown, until the splice takes them.
final class UpgradeTap: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Mode { case head, holding, passThrough }
    private var mode = Mode.head
    /// The head's bytes so far, until its blank line.
    private var head: [UInt8] = []
    private var held: [ByteBuffer] = []
    private(set) var sawEOF = false

    func takeHeld() -> [ByteBuffer] {
        defer { held = [] }
        return held
    }

    func passThrough() { mode = .passThrough }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        switch mode {
        case .passThrough:
            context.fireChannelRead(data)
        case .holding:
            held.append(buffer)
        case .head:
            let before = head.count
            head.append(contentsOf: buffer.readableBytesView)
            guard let end = Self.endOfHead(head, from: max(0, before - 3)) else {
                context.fireChannelRead(data)
                return
            }
            let switching = head.starts(with: Array("HTTP/1.1 101".utf8)) || head.starts(with: Array("HTTP/1.0 101".utf8))
            let headPart = buffer.readSlice(length: end - before) ?? ByteBuffer()
            head = []
            mode = switching ? .holding : .passThrough
            if switching {
                if buffer.readableBytes > 0 { held.append(buffer) }
                context.fireChannelRead(wrapInboundOut(headPart))
            } else {
                context.fireChannelRead(wrapInboundOut(headPart))
                if buffer.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(buffer)) }
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        sawEOF = true
        context.fireChannelInactive()
    }

    /// The index just past the head's `\r\n\r\n`, searching from `start`.
    static func endOfHead(_ bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var index = start
        while index + 3 < bytes.count {
            if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 { return index + 4 }
            index += 1
        }
        return nil
    }
}
