import Foundation
import NIOCore
import NIOWebSocket
import SkiffAPI

/// The WebSocket subprotocols of exec and attach (upstream's `wsstream` and kubelet `remotecommand`): each
/// message starts with its channel (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize), a byte or, in the
/// base64 variants, a digit before base64 text. From v4 the error channel carries a `metav1.Status`; v5 adds
/// channel 255, "close the stream in the next byte" (kubectl ≥ 1.30 ends stdin so).
struct RemoteCommandWebSocketProtocol: Sendable, Equatable {
    var name: String
    var base64: Bool
    var statusObjects: Bool
    var streamClose: Bool

    /// Preferred first when the client offers several (the client lists its own preference; we honour it).
    static let supported: [RemoteCommandWebSocketProtocol] = [
        .init(name: "v5.channel.k8s.io", base64: false, statusObjects: true, streamClose: true),
        .init(name: "v4.channel.k8s.io", base64: false, statusObjects: true, streamClose: false),
        .init(name: "v4.base64.channel.k8s.io", base64: true, statusObjects: true, streamClose: false),
        .init(name: "channel.k8s.io", base64: false, statusObjects: false, streamClose: false),
        .init(name: "base64.channel.k8s.io", base64: true, statusObjects: false, streamClose: false),
    ]

    /// The first protocol of the client's `Sec-WebSocket-Protocol` list that is among `names` (all we speak
    /// when nil); none offered: plain channels.
    static func negotiate(_ offered: [String], among names: [String]? = nil) -> RemoteCommandWebSocketProtocol? {
        let supported = names.map { names in Self.supported.filter { names.contains($0.name) } } ?? Self.supported
        let names = offered.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        if names.isEmpty { return .init(name: "", base64: false, statusObjects: false, streamClose: false) }
        for name in names { if let found = supported.first(where: { $0.name == name }) { return found } }
        return nil
    }

    static let stdinChannel: UInt8 = 0, stdoutChannel: UInt8 = 1, stderrChannel: UInt8 = 2, errorChannel: UInt8 = 3
    static let resizeChannel: UInt8 = 4, closeChannel: UInt8 = 255

    func frame(channel: UInt8, _ bytes: [UInt8], allocator: ByteBufferAllocator) -> WebSocketFrame {
        var buffer = allocator.buffer(capacity: bytes.count + 1)
        if base64 {
            buffer.writeInteger(0x30 + channel)
            buffer.writeString(Data(bytes).base64EncodedString())
            return WebSocketFrame(fin: true, opcode: .text, data: buffer)
        }
        buffer.writeInteger(channel)
        buffer.writeBytes(bytes)
        return WebSocketFrame(fin: true, opcode: .binary, data: buffer)
    }
}

/// Sends a session's output as WebSocket messages.
struct WebSocketRemoteCommandTransport: RemoteCommandTransport {
    let channel: any Channel
    let wsProtocol: RemoteCommandWebSocketProtocol

    func send(_ stream: RemoteCommandStream, _ bytes: [UInt8]) -> Bool {
        let number = stream == .stdout ? RemoteCommandWebSocketProtocol.stdoutChannel : RemoteCommandWebSocketProtocol.stderrChannel
        return (try? channel.writeAndFlush(wsProtocol.frame(channel: number, bytes, allocator: channel.allocator)).wait()) != nil
    }

    func finish(status: meta.v1.Status) {
        var payload: [UInt8] = []
        if wsProtocol.statusObjects {
            payload = status.json.serialized()
        } else if status.status != "Success" {
            // Before v4 the error channel carried only the message of a failure.
            payload = Array((status.message ?? "").utf8)
        }
        let channel = self.channel
        if !payload.isEmpty {
            channel.write(wsProtocol.frame(channel: RemoteCommandWebSocketProtocol.errorChannel, payload, allocator: channel.allocator),
                          promise: nil)
        }
        var code = channel.allocator.buffer(capacity: 2)
        code.write(webSocketErrorCode: .normalClosure)
        // The client answers the close and closes the connection (the handler closes on its answer); a client
        // that does not is cut off later. Closing at once could lose the last frames in a proxy between us.
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: code), promise: nil)
        channel.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
    }
}

/// Reads the client's messages of an exec or attach WebSocket: stdin, resize and stream closes to the session,
/// pings answered, the session cancelled when the connection goes.
final class RemoteCommandWebSocketHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let session: RemoteCommandSession
    let wsProtocol: RemoteCommandWebSocketProtocol

    init(session: RemoteCommandSession, wsProtocol: RemoteCommandWebSocketProtocol) {
        self.session = session
        self.wsProtocol = wsProtocol
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .ping:
            var pong = frame
            pong.opcode = .pong
            pong.maskKey = nil
            pong.data = frame.unmaskedData
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            session.cancel()
            context.close(promise: nil)
        case .binary, .text:
            var bytes = Array(frame.unmaskedData.readableBytesView)
            guard var channel = bytes.first else { return }
            bytes.removeFirst()
            if wsProtocol.streamClose, channel == RemoteCommandWebSocketProtocol.closeChannel {
                if bytes.first == RemoteCommandWebSocketProtocol.stdinChannel { session.closeStdin() }
                return
            }
            if wsProtocol.base64 {
                channel = channel &- 0x30
                guard let decoded = Data(base64Encoded: Data(bytes)) else { return }
                bytes = Array(decoded)
            }
            switch channel {
            case RemoteCommandWebSocketProtocol.stdinChannel: session.stdin(bytes)
            case RemoteCommandWebSocketProtocol.resizeChannel: session.resize(json: bytes)
            default: break
            }
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.cancel()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        session.cancel()
        context.close(promise: nil)
    }
}
