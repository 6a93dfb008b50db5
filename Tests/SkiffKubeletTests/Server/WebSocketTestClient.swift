import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Synchronization

/// A WebSocket client speaking kubectl's channel protocol to the kubelet server: it sends the upgrade
/// request with a client certificate, collects every message by channel, and can send stdin, resize and
/// v5 stream closes.
final class WebSocketTestClient: Sendable {
    struct Outcome: Sendable {
        /// The HTTP status when the upgrade was refused (nil: upgraded).
        var refusedStatus: Int?
        var refusedBody = ""
        var protocolName: String?
        /// Every message in order: channel byte and payload.
        var messages: [(UInt8, [UInt8])] = []

        func output(_ channel: UInt8) -> String {
            String(decoding: messages.filter { $0.0 == channel }.flatMap(\.1), as: UTF8.self)
        }
    }

    private let outcome = Mutex(Outcome())
    private let upgraded: EventLoopPromise<any Channel>
    private let closed: EventLoopPromise<Void>
    let channel: any Channel

    /// Connects to `127.0.0.1:port` and asks to upgrade `path` offering `protocols`.
    init(port: Int, path: String, protocols: [String], certificate: (cert: String, key: String)?) async throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        if let certificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificate.cert.utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(certificate.key.utf8), format: .pem))
        }
        let context = try NIOSSLContext(configuration: tls)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let upgraded = loop.makePromise(of: (any Channel).self)
        let closed = loop.makePromise(of: Void.self)
        self.upgraded = upgraded
        self.closed = closed
        let box = OutcomeSink()
        let bootstrap = ClientBootstrap(group: loop).channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 20, upgradePipelineHandler: { channel, response in
                    box.protocolName.withLock { $0 = response.headers.first(name: "Sec-WebSocket-Protocol") }
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(FrameCollector(sink: box, upgraded: upgraded))
                    }
                })
                // Frames may arrive in the same read as the 101: keep them.
                try channel.pipeline.syncOperations.addHTTPClientHandlers(
                    leftOverBytesStrategy: .forwardBytes,
                    withClientUpgrade: (upgraders: [upgrader], completionHandler: { context in
                        context.pipeline.removeHandler(name: "request", promise: nil)
                    }))
                try channel.pipeline.syncOperations.addHandler(
                    RequestHandler(path: path, protocols: protocols, sink: box, upgraded: upgraded), name: "request")
            }
        }
        channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        channel.closeFuture.whenComplete { _ in
            upgraded.fail(ChannelError.ioOnClosedChannel)
            closed.succeed()
        }
        sink = box
    }

    private let sink: OutcomeSink

    /// Waits for the upgrade (true) or its refusal (false).
    func waitUpgraded() async -> Bool {
        (try? await upgraded.futureResult.get()) != nil
    }

    func send(channel number: UInt8, _ bytes: [UInt8]) async throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count + 1)
        buffer.writeInteger(number)
        buffer.writeBytes(bytes)
        let frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: buffer)
        try await channel.writeAndFlush(frame).get()
    }

    /// Waits until the server closed the connection (closing it after `timeout`); what came.
    func finish(timeout: Duration = .seconds(20)) async throws -> Outcome {
        let channel = self.channel
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await channel.closeFuture.get() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                try? await channel.close()
            }
            await group.next()
            group.cancelAll()
        }
        return sink.snapshot()
    }
}

/// The shared record of what the client saw.
final class OutcomeSink: Sendable {
    let refused = Mutex<(Int, String)?>(nil)
    let protocolName = Mutex<String?>(nil)
    let messages = Mutex<[(UInt8, [UInt8])]>([])

    func snapshot() -> WebSocketTestClient.Outcome {
        var outcome = WebSocketTestClient.Outcome()
        outcome.refusedStatus = refused.withLock { $0?.0 }
        outcome.refusedBody = refused.withLock { $0?.1 } ?? ""
        outcome.protocolName = protocolName.withLock { $0 }
        outcome.messages = messages.withLock { $0 }
        return outcome
    }
}

private final class RequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    let path: String
    let protocols: [String]
    let sink: OutcomeSink
    let upgraded: EventLoopPromise<any Channel>
    var status = 0
    var body = ""

    init(path: String, protocols: [String], sink: OutcomeSink, upgraded: EventLoopPromise<any Channel>) {
        self.path = path
        self.protocols = protocols
        self.sink = sink
        self.upgraded = upgraded
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders([("Host", "localhost"), ("Content-Length", "0")])
        if !protocols.isEmpty { headers.add(name: "Sec-WebSocket-Protocol", value: protocols.joined(separator: ", ")) }
        context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body(let buffer): body += String(buffer: buffer)
        case .end:
            sink.refused.withLock { $0 = (status, body) }
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

private final class FrameCollector: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    let sink: OutcomeSink
    let upgraded: EventLoopPromise<any Channel>

    init(sink: OutcomeSink, upgraded: EventLoopPromise<any Channel>) {
        self.sink = sink
        self.upgraded = upgraded
    }

    func handlerAdded(context: ChannelHandlerContext) {
        upgraded.succeed(context.channel)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .text:
            let bytes = Array(frame.unmaskedData.readableBytesView)
            guard let first = bytes.first else { return }
            sink.messages.withLock { $0.append((first, Array(bytes.dropFirst()))) }
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }
}
