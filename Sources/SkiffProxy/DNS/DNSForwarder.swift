import Foundation
public import Logging
public import NIOCore
import NIOPosix

/// Why a query could not be forwarded.
public struct DNSForwarderError: Error, Hashable, CustomStringConvertible {
    private enum Base: Hashable { case noUpstream, timedOut, malformedQuery }
    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// No upstream is configured, or every one failed.
    public static let noUpstream = DNSForwarderError(.noUpstream)
    /// An upstream did not answer in time.
    public static let timedOut = DNSForwarderError(.timedOut)
    /// The query is shorter than a header.
    public static let malformedQuery = DNSForwarderError(.malformedQuery)

    public var description: String { "DNS forwarding failed: \(base)" }
}

/// Sends the queries the cluster does not answer to upstream resolvers (CoreDNS's `forward . /etc/resolv.conf`):
/// each upstream in turn over UDP from a fresh socket with a fresh id, again over TCP when the answer is truncated.
public final class DNSForwarder: Sendable {
    /// The resolvers asked, in order.
    public let upstreams: [SocketAddress]
    /// How long one upstream has to answer before the next is tried.
    public let timeout: TimeAmount
    private let logger: Logger

    /// A forwarder asking `upstreams` in order, each given `timeout` to answer.
    public init(upstreams: [SocketAddress], timeout: TimeAmount = .seconds(2),
                logger: Logger = Logger(label: "skiff.dns")) {
        self.upstreams = upstreams
        self.timeout = timeout
        self.logger = logger
    }

    /// The `nameserver` addresses of a resolv.conf file, leaving out loopback ones: on a node those are usually
    /// this very server (or a local stub that would forward back to it). Empty when the file cannot be read.
    public static func upstreams(resolvConf path: String = "/etc/resolv.conf", port: Int = 53) -> [SocketAddress] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return parseResolvConf(text, port: port)
    }

    /// The non-loopback `nameserver` addresses in resolv.conf text.
    static func parseResolvConf(_ text: String, port: Int) -> [SocketAddress] {
        var result: [SocketAddress] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            // A zone index (`fe80::1%eth0`) is not part of the address text inet_pton reads.
            let host = String(fields[1].split(separator: "%").first ?? fields[1])
            if let v4 = DNSIPv4Address(host), v4.value >> 24 == 127 { continue }
            if let v6 = DNSIPv6Address(host), v6.bytes == [UInt8](repeating: 0, count: 15) + [1] { continue }
            if let address = try? SocketAddress(ipAddress: host, port: port) { result.append(address) }
        }
        return result
    }

    /// The upstream's answer to `query` with the query's id, or a failure when no upstream answered in time.
    public func forward(_ query: [UInt8], on eventLoop: any EventLoop) -> EventLoopFuture<[UInt8]> {
        guard query.count >= 12 else { return eventLoop.makeFailedFuture(DNSForwarderError.malformedQuery) }
        // A fresh random id per exchange: an off-path attacker must guess it as well as the source port.
        let id = UInt16.random(in: .min ... .max)
        var upstreamQuery = query
        upstreamQuery[0] = UInt8(id >> 8)
        upstreamQuery[1] = UInt8(id & 0xFF)
        let (high, low) = (query[0], query[1])
        return attempt(upstreamQuery, id: id, index: 0, on: eventLoop).map { response in
            var response = response
            response[0] = high
            response[1] = low
            return response
        }
    }

    private func attempt(_ query: [UInt8], id: UInt16, index: Int, on eventLoop: any EventLoop)
        -> EventLoopFuture<[UInt8]>
    {
        guard index < upstreams.count else { return eventLoop.makeFailedFuture(DNSForwarderError.noUpstream) }
        let upstream = upstreams[index]
        return udpExchange(query, id: id, upstream: upstream, on: eventLoop)
            .flatMap { response in
                // TC: the whole answer is only to be had over TCP (RFC 7766).
                guard response[2] & 0x02 != 0 else { return eventLoop.makeSucceededFuture(response) }
                return self.tcpExchange(query, id: id, upstream: upstream, on: eventLoop)
            }
            .flatMapError { error in
                self.logger.debug("upstream resolver failed",
                                  metadata: ["upstream": "\(upstream)", "error": "\(error)"])
                return self.attempt(query, id: id, index: index + 1, on: eventLoop)
            }
    }

    private func udpExchange(_ query: [UInt8], id: UInt16, upstream: SocketAddress, on eventLoop: any EventLoop)
        -> EventLoopFuture<[UInt8]>
    {
        let promise = eventLoop.makePromise(of: [UInt8].self)
        let timeout = self.timeout
        DatagramBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        DNSUpstreamUDPHandler(id: id, upstream: upstream, promise: promise))
                }
            }
            .bind(host: upstream.protocol == .inet6 ? "::" : "0.0.0.0", port: 0)
            .whenComplete { result in
                switch result {
                case .failure(let error):
                    promise.fail(error)
                case .success(let channel):
                    let timer = channel.eventLoop.scheduleTask(in: timeout) { promise.fail(DNSForwarderError.timedOut) }
                    promise.futureResult.whenComplete { _ in
                        timer.cancel()
                        channel.close(promise: nil)
                    }
                    let envelope = AddressedEnvelope(remoteAddress: upstream,
                                                     data: channel.allocator.buffer(bytes: query))
                    channel.writeAndFlush(envelope).whenFailure { promise.fail($0) }
                }
            }
        return promise.futureResult
    }

    private func tcpExchange(_ query: [UInt8], id: UInt16, upstream: SocketAddress, on eventLoop: any EventLoop)
        -> EventLoopFuture<[UInt8]>
    {
        let promise = eventLoop.makePromise(of: [UInt8].self)
        let timeout = self.timeout
        ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                    try sync.addHandler(DNSUpstreamTCPHandler(id: id, promise: promise))
                }
            }
            .connect(to: upstream)
            .whenComplete { result in
                switch result {
                case .failure(let error):
                    promise.fail(error)
                case .success(let channel):
                    let timer = channel.eventLoop.scheduleTask(in: timeout) { promise.fail(DNSForwarderError.timedOut) }
                    promise.futureResult.whenComplete { _ in
                        timer.cancel()
                        channel.close(promise: nil)
                    }
                    channel.writeAndFlush(DNSTCPFrameDecoder.frame(query, allocator: channel.allocator))
                        .whenFailure { promise.fail($0) }
                }
            }
        return promise.futureResult
    }
}

/// Takes the first datagram from the upstream that answers our id; anything else is someone else's (or forged).
private final class DNSUpstreamUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let id: UInt16
    private let upstream: SocketAddress
    private let promise: EventLoopPromise<[UInt8]>

    init(id: UInt16, upstream: SocketAddress, promise: EventLoopPromise<[UInt8]>) {
        self.id = id
        self.upstream = upstream
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.remoteAddress == upstream, let response = upstreamResponse(envelope.data, id: id) else { return }
        promise.succeed(response)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable arrives here as ECONNREFUSED: this upstream is not listening.
        promise.fail(error)
    }
}

/// Takes the first framed response with our id.
private final class DNSUpstreamTCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let id: UInt16
    private let promise: EventLoopPromise<[UInt8]>

    init(id: UInt16, promise: EventLoopPromise<[UInt8]>) {
        self.id = id
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let response = upstreamResponse(unwrapInboundIn(data), id: id) else { return }
        promise.succeed(response)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(DNSForwarderError.noUpstream)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}

/// The bytes of `buffer` when they are a response (QR set) with `id`.
private func upstreamResponse(_ buffer: ByteBuffer, id: UInt16) -> [UInt8]? {
    guard buffer.readableBytes >= 12, let received = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
          received == id, let flags = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt8.self), flags & 0x80 != 0
    else { return nil }
    return Array(buffer.readableBytesView)
}

/// Splits a TCP stream into DNS messages, each preceded by its 2-byte length (RFC 1035 §4.2.2).
struct DNSTCPFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
              let frame = buffer.getSlice(at: buffer.readerIndex + 2, length: Int(length))
        else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2 + Int(length))
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        try decode(context: context, buffer: &buffer)
    }

    /// `message` with its length in front.
    static func frame(_ message: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: message.count + 2)
        buffer.writeInteger(UInt16(truncatingIfNeeded: message.count))
        buffer.writeBytes(message)
        return buffer
    }
}
