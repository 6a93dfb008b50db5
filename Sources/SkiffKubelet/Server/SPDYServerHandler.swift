import NIOCore
import Synchronization

/// What runs over a SPDY connection (exec/attach, port-forward): told of the streams the client opens, their
/// data and their ends. Called on the connection's event loop.
protocol SPDYStreamDelegate: AnyObject, Sendable {
    func streamOpened(_ id: UInt32, headers: [String: String])
    func streamData(_ id: UInt32, _ bytes: [UInt8])
    /// The client finished (half-closed) or reset the stream.
    func streamFinished(_ id: UInt32)
    func connectionClosed()
}

/// Writes to a SPDY connection from any thread: data frames need no header compression, so no lock.
struct SPDYStreamWriter: Sendable {
    let channel: any Channel

    /// Sends `bytes` on stream `id` (split into frames of at most 64 KiB), ending it when `fin`.
    @discardableResult
    func send(_ id: UInt32, _ bytes: [UInt8], fin: Bool = false) -> EventLoopFuture<Void> {
        var frames: [ByteBuffer] = []
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + 65_536)
            let last = end == bytes.count
            frames.append(SPDYFrame.encodeData(streamID: id, flags: last && fin ? SPDYFrame.flagFin : 0,
                                               payload: bytes[offset..<end], allocator: channel.allocator))
            offset = end
        } while offset < bytes.count
        for frame in frames.dropLast() { channel.write(frame, promise: nil) }
        return channel.writeAndFlush(frames[frames.count - 1])
    }

    func reset(_ id: UInt32, status: UInt32 = 5) {
        var payload: [UInt8] = []
        for value in [id & 0x7fff_ffff, status] { payload += withUnsafeBytes(of: value.bigEndian) { Array($0) } }
        channel.writeAndFlush(SPDYFrame.encodeControl(type: SPDYFrame.rstStream, payload: payload, allocator: channel.allocator),
                              promise: nil)
    }

    /// GOAWAY, then the connection closes once the client closed it or after `linger` (so the client reads
    /// every frame before its streams see the end).
    func goAway(linger: TimeAmount = .seconds(10)) {
        let payload: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]
        let channel = self.channel
        channel.writeAndFlush(SPDYFrame.encodeControl(type: SPDYFrame.goAway, payload: payload, allocator: channel.allocator),
                              promise: nil)
        channel.eventLoop.scheduleTask(in: linger) { channel.close(promise: nil) }
    }
}

/// The server side of a SPDY/3.1 connection as spdystream (kubectl's) speaks it: each stream the client opens
/// is answered at once with an empty SYN_REPLY and handed to the delegate; pings are answered; there is no
/// flow control (spdystream has none).
final class SPDYServerHandler: ChannelInboundHandler {
    typealias InboundIn = SPDYFrame
    typealias OutboundOut = ByteBuffer

    private let compression: SPDYHeaderCompression
    let delegate: any SPDYStreamDelegate

    init(delegate: any SPDYStreamDelegate) throws {
        compression = try SPDYHeaderCompression()
        self.delegate = delegate
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .data(let id, let flags, let payload):
            if payload.readableBytes > 0 { delegate.streamData(id, Array(payload.readableBytesView)) }
            if flags & SPDYFrame.flagFin != 0 { delegate.streamFinished(id) }
        case .control(let type, let flags, var payload):
            do {
                try control(context: context, type: type, flags: flags, payload: &payload)
            } catch {
                context.close(promise: nil)
            }
        }
    }

    private func control(context: ChannelHandlerContext, type: UInt16, flags: UInt8, payload: inout ByteBuffer) throws {
        switch type {
        case SPDYFrame.synStream:
            guard let id = payload.readInteger(as: UInt32.self).map({ $0 & 0x7fff_ffff }),
                  payload.readInteger(as: UInt32.self) != nil, payload.readInteger(as: UInt16.self) != nil else {
                throw SPDYProtocolError(message: "short SYN_STREAM")
            }
            // Every header block goes through the one inflate stream, in order.
            let block = try compression.decompress(Array(payload.readableBytesView))
            guard let headers = SPDYHeaderBlock.decode(block) else { throw SPDYProtocolError(message: "bad header block") }
            let reply = withUnsafeBytes(of: id.bigEndian) { Array($0) } + compression.compress(SPDYHeaderBlock.encode([]))
            context.writeAndFlush(wrapOutboundOut(SPDYFrame.encodeControl(type: SPDYFrame.synReply, payload: reply,
                                                                           allocator: context.channel.allocator)),
                                  promise: nil)
            delegate.streamOpened(id, headers: headers)
            if flags & SPDYFrame.flagFin != 0 { delegate.streamFinished(id) }
        case SPDYFrame.synReply, SPDYFrame.headers:
            guard payload.readInteger(as: UInt32.self) != nil else { throw SPDYProtocolError(message: "short frame") }
            _ = try compression.decompress(Array(payload.readableBytesView))
        case SPDYFrame.rstStream:
            if let id = payload.readInteger(as: UInt32.self) { delegate.streamFinished(id & 0x7fff_ffff) }
        case SPDYFrame.ping:
            // Client pings are odd; ours would be even, and we send none.
            let id = payload.getInteger(at: payload.readerIndex, as: UInt32.self) ?? 0
            if id & 1 == 1 {
                context.writeAndFlush(wrapOutboundOut(SPDYFrame.encodeControl(
                    type: SPDYFrame.ping, payload: Array(payload.readableBytesView), allocator: context.channel.allocator)),
                                      promise: nil)
            }
        default:
            // SETTINGS, WINDOW_UPDATE, GOAWAY: nothing to do; the client closes the connection when done.
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        delegate.connectionClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
