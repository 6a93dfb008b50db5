import NIOCore

/// A SPDY/3 frame as read off the connection: a control frame (type, flags, payload) or a data frame.
enum SPDYFrame {
    case control(type: UInt16, flags: UInt8, payload: ByteBuffer)
    case data(streamID: UInt32, flags: UInt8, payload: ByteBuffer)

    static let synStream: UInt16 = 1, synReply: UInt16 = 2, rstStream: UInt16 = 3, settings: UInt16 = 4
    static let ping: UInt16 = 6, goAway: UInt16 = 7, headers: UInt16 = 8, windowUpdate: UInt16 = 9
    static let flagFin: UInt8 = 0x01

    /// A control frame's bytes (version 3).
    static func encodeControl(type: UInt16, flags: UInt8 = 0, payload: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 8 + payload.count)
        buffer.writeInteger(UInt16(0x8003))
        buffer.writeInteger(type)
        buffer.writeInteger(UInt32(flags) << 24 | UInt32(payload.count))
        buffer.writeBytes(payload)
        return buffer
    }

    /// A data frame's bytes; frames longer than SPDY's 24-bit length are the caller's to split.
    static func encodeData(streamID: UInt32, flags: UInt8 = 0, payload: some Collection<UInt8>,
                           allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 8 + payload.count)
        buffer.writeInteger(streamID & 0x7fff_ffff)
        buffer.writeInteger(UInt32(flags) << 24 | UInt32(payload.count))
        buffer.writeBytes(payload)
        return buffer
    }
}

/// Cuts the byte stream of an upgraded connection into SPDY frames.
struct SPDYFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = SPDYFrame

    /// Frames larger than this end the connection (kubectl writes at most 32 KiB per frame).
    static let maxFrameLength = 1 << 22

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
              let second = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self) else { return .needMoreData }
        let length = Int(second & 0x00ff_ffff)
        guard length <= Self.maxFrameLength else { throw SPDYProtocolError(message: "frame of \(length) bytes") }
        guard buffer.readableBytes >= 8 + length else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 8)
        guard let payload = buffer.readSlice(length: length) else { return .needMoreData }
        let flags = UInt8(second >> 24)
        if first & 0x8000_0000 != 0 {
            guard (first >> 16) & 0x7fff == 3 else { throw SPDYProtocolError(message: "SPDY version \((first >> 16) & 0x7fff)") }
            context.fireChannelRead(wrapInboundOut(.control(type: UInt16(first & 0xffff), flags: flags, payload: payload)))
        } else {
            context.fireChannelRead(wrapInboundOut(.data(streamID: first & 0x7fff_ffff, flags: flags, payload: payload)))
        }
        return .continue
    }
}

struct SPDYProtocolError: Error, CustomStringConvertible {
    var message: String
    var description: String { "SPDY protocol error: \(message)" }
}
