import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The `Upgrade: SPDY/3.1` of exec, attach (`X-Stream-Protocol-Version: v4.channel.k8s.io` …) and port-forward
/// (`portforward.k8s.io`), as kubectl ≤ 1.29 (and later ones with WebSocket off) sends them.
final class SPDYUpgrader: HTTPServerProtocolUpgrader, Sendable {
    let supportedProtocol = "SPDY/3.1"
    let requiredUpgradeHeaders: [String] = []
    let endpoints: KubeletEndpoints
    private let accepted = AcceptedBox<(KubeletUpgraders.Accepted, String)>()

    struct Refused: Error {}

    init(endpoints: KubeletEndpoints) {
        self.endpoints = endpoints
    }

    func buildUpgradeResponse(channel: any Channel, upgradeRequest: HTTPRequestHead,
                              initialResponseHeaders: HTTPHeaders) -> EventLoopFuture<HTTPHeaders> {
        let endpoints = self.endpoints
        let accepted = self.accepted
        guard KubeletEndpoints.isAuthenticated(channel) else { return channel.eventLoop.makeFailedFuture(Refused()) }
        return channel.eventLoop.makeFutureWithTask {
            guard let found = await KubeletUpgraders.accept(upgradeRequest, endpoints: endpoints) else {
                throw Refused()
            }
            let offered = upgradeRequest.headers["X-Stream-Protocol-Version"].flatMap { $0.split(separator: ",") }
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let supported: [String] = if case .portForward = found.route {
                [SPDYPortForward.protocolName]
            } else {
                SPDYRemoteCommand.protocols
            }
            // No header: the first protocol (upstream's handshake allows that for old clients).
            guard let chosen = offered.isEmpty ? "" : offered.first(where: supported.contains) else { throw Refused() }
            accepted.value.withLock { $0 = (found, chosen) }
            var headers = initialResponseHeaders
            if !chosen.isEmpty { headers.add(name: "X-Stream-Protocol-Version", value: chosen) }
            return headers
        }
    }

    func upgrade(context: ChannelHandlerContext, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
        let channel = context.channel
        guard let (found, version) = accepted.value.withLock({ $0 }) else { return channel.close() }
        let endpoints = self.endpoints
        return channel.eventLoop.makeCompletedFuture {
            try KubeletUpgraders.installSPDY(on: channel, found: found, version: version, endpoints: endpoints)
        }
    }
}

/// Turns WebSocket binary messages into a byte stream and back, for SPDY tunnelled in WebSocket.
final class WebSocketByteStreamHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .continuation:
            context.fireChannelRead(wrapInboundOut(frame.unmaskedData))
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: unwrapOutboundIn(data))), promise: promise)
    }
}
