import Foundation
import NIOCore
import NIOWebSocket

/// Port-forward over WebSocket channels (upstream's `v4.channel.k8s.io` for port-forward, used by client
/// libraries rather than kubectl): the ports come in `port=` query values; port i has data channel 2i and
/// error channel 2i+1, each opened with the port as two little-endian bytes. One TCP connection per port;
/// the WebSocket closes once all have ended.
final class WebSocketPortForwardHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    static let protocols = ["v4.channel.k8s.io", "v4.base64.channel.k8s.io"]

    let ports: [UInt16]
    let wsProtocol: RemoteCommandWebSocketProtocol
    let target: ContainerTarget
    let endpoints: KubeletEndpoints
    private var upstreams: [Int: any Channel] = [:]
    private var pending: [Int: [[UInt8]]] = [:]
    private var finished: Set<Int> = []

    init(ports: [UInt16], wsProtocol: RemoteCommandWebSocketProtocol, target: ContainerTarget, endpoints: KubeletEndpoints) {
        self.ports = ports
        self.wsProtocol = wsProtocol
        self.target = target
        self.endpoints = endpoints
    }

    /// The `port` query values (repeated or comma-separated), or upstream's message for a bad one.
    static func ports(query: [(String, String)]) -> Result<[UInt16], RemoteCommandError> {
        let values = query.filter { $0.0 == "port" }.map(\.1)
        guard !values.isEmpty else { return .failure(.init(code: 400, message: "query parameter \"port\" is required")) }
        var ports: [UInt16] = []
        for value in values {
            guard !value.isEmpty else { return .failure(.init(code: 400, message: "query parameter \"port\" cannot be empty")) }
            for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                guard let port = UInt16(part) else {
                    return .failure(.init(code: 400, message: "unable to parse \"\(value)\" as a port"))
                }
                guard port > 0 else { return .failure(.init(code: 400, message: "port \"\(value)\" must be > 0")) }
                ports.append(port)
            }
        }
        return .success(ports)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        for (index, port) in ports.enumerated() {
            let portBytes = [UInt8(port & 0xff), UInt8(port >> 8)]
            send(context: context, channel: UInt8(2 * index), portBytes)
            send(context: context, channel: UInt8(2 * index + 1), portBytes)
            let eventLoop = context.eventLoop
            PodPortConnection.open(
                port: port, podUID: target.podUID, runtime: endpoints.runtime, eventLoop: eventLoop,
                onData: { bytes in eventLoop.execute { bound.value.0.send(context: bound.value.1, channel: UInt8(2 * index), bytes) } },
                onClose: { eventLoop.execute { bound.value.0.ended(context: bound.value.1, index: index) } }
            ).hop(to: eventLoop).whenComplete { result in
                let (handler, context) = bound.value
                switch result {
                case .success(let upstream):
                    handler.upstreams[index] = upstream
                    for bytes in handler.pending.removeValue(forKey: index) ?? [] {
                        upstream.write(ByteBuffer(bytes: bytes), promise: nil)
                    }
                    upstream.flush()
                case .failure(let error):
                    let message = "error forwarding port \(port) to pod \(handler.target.podName), uid \(handler.target.podUID): \(error)"
                    handler.send(context: context, channel: UInt8(2 * index + 1), Array(message.utf8))
                    handler.ended(context: context, index: index)
                }
            }
        }
    }

    private func send(context: ChannelHandlerContext, channel: UInt8, _ bytes: [UInt8]) {
        context.writeAndFlush(wrapOutboundOut(wsProtocol.frame(channel: channel, bytes, allocator: context.channel.allocator)),
                              promise: nil)
    }

    private func ended(context: ChannelHandlerContext, index: Int) {
        guard finished.insert(index).inserted else { return }
        upstreams[index] = nil
        pending[index] = nil
        guard finished.count == ports.count else { return }
        var code = context.channel.allocator.buffer(capacity: 2)
        code.write(webSocketErrorCode: .normalClosure)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)), promise: nil)
        let channel = context.channel
        context.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        case .binary, .text:
            var bytes = Array(frame.unmaskedData.readableBytesView)
            guard var channel = bytes.first else { return }
            bytes.removeFirst()
            if wsProtocol.base64 {
                channel = channel &- 0x30
                guard let decoded = Data(base64Encoded: Data(bytes)) else { return }
                bytes = Array(decoded)
            }
            // Only data channels (even) carry the client's bytes.
            guard channel % 2 == 0, Int(channel / 2) < ports.count, !bytes.isEmpty else { return }
            let index = Int(channel / 2)
            guard !finished.contains(index) else { return }
            if let upstream = upstreams[index] {
                upstream.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
            } else {
                pending[index, default: []].append(bytes)
            }
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        for upstream in upstreams.values { upstream.close(promise: nil) }
        upstreams = [:]
        context.fireChannelInactive()
    }
}
