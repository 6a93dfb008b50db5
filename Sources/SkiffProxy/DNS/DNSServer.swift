public import Logging
public import NIOCore
import NIOPosix
public import ServiceLifecycle
import Synchronization

/// The cluster DNS server: UDP and TCP on one address and port, answering from a `ClusterDNSResolver` and
/// forwarding the rest. `run()` serves until cancelled or shut down gracefully; `start()`/`stop()` serve tests.
public final class DNSServer: Service, Sendable {
    /// Where the server listens.
    public struct Configuration: Sendable {
        /// The address listened on, for both transports.
        public var host: String
        /// 53 by default; 0 picks a free port (the same number for UDP and TCP).
        public var port: Int
        /// A TCP connection that sends nothing for this long is closed (RFC 7766 §6.2.3 suggests seconds).
        public var tcpIdleTimeout: TimeAmount

        /// All addresses, port 53 and a 10 s idle limit unless said otherwise.
        public init(host: String = "0.0.0.0", port: Int = 53, tcpIdleTimeout: TimeAmount = .seconds(10)) {
            self.host = host
            self.port = port
            self.tcpIdleTimeout = tcpIdleTimeout
        }
    }

    /// The address and port asked for (see `port` for the one bound).
    public let configuration: Configuration
    private let processor: DNSQueryProcessor
    private let group: any EventLoopGroup
    private let logger: Logger
    private let channels = Mutex<[any Channel]>([])

    /// A server answering through `resolver`; queries it does not answer go to `forwarder` (REFUSED without one).
    public init(configuration: Configuration, resolver: ClusterDNSResolver, forwarder: DNSForwarder?,
                group: (any EventLoopGroup)? = nil,
                logger: Logger = Logger(label: "skiff.dns")) {
        self.configuration = configuration
        processor = DNSQueryProcessor(resolver: resolver, forwarder: forwarder)
        self.group = group ?? MultiThreadedEventLoopGroup.singleton
        self.logger = logger
    }

    /// Binds both sockets and starts answering; returns the port. Port 0: UDP picks one and TCP takes the same,
    /// trying again a few times if TCP finds it taken.
    @discardableResult
    public func start() async throws -> Int {
        var attempts = 0
        while true {
            attempts += 1
            let udp = try await bindUDP(port: configuration.port)
            let port = udp.localAddress?.port ?? configuration.port
            do {
                let tcp = try await bindTCP(port: port)
                channels.withLock { $0 = [udp, tcp] }
                logger.info("cluster DNS listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
                return port
            } catch {
                try? await udp.close()
                guard configuration.port == 0, attempts < 5 else { throw error }
            }
        }
    }

    /// The port both transports listen on, once started.
    public var port: Int? {
        channels.withLock { $0.first?.localAddress?.port }
    }

    /// Closes both sockets; connections under way end with their clients.
    public func stop() async {
        let open = channels.withLock { state in
            defer { state = [] }
            return state
        }
        for channel in open { try? await channel.close() }
    }

    /// Serves until the task is cancelled or the service group shuts down gracefully, then closes the sockets.
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        await stop()
        logger.info("cluster DNS stopped")
    }

    private func bindUDP(port: Int) async throws -> any Channel {
        let processor = self.processor
        let logger = self.logger
        return try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            // recvmmsg: one system call takes many queries under load.
            .channelOption(.datagramVectorReadMessageCount, value: 32)
            .channelOption(.maxMessagesPerRead, value: 32)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DNSUDPHandler(processor: processor, logger: logger))
                }
            }
            .bind(host: configuration.host, port: port).get()
    }

    private func bindTCP(port: Int) async throws -> any Channel {
        let processor = self.processor
        let idle = configuration.tcpIdleTimeout
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(readTimeout: idle))
                    try sync.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                    try sync.addHandler(DNSTCPHandler(processor: processor))
                }
            }
            .bind(host: configuration.host, port: port).get()
    }
}

/// One datagram, one query. Answers are written as they are made and flushed once per read burst, so a burst of
/// queries leaves in one `sendmmsg`.
private final class DNSUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    private let processor: DNSQueryProcessor
    private let logger: Logger

    init(processor: DNSQueryProcessor, logger: Logger) {
        self.processor = processor
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let remote = envelope.remoteAddress
        switch processor.process(Array(envelope.data.readableBytesView), transport: .udp, on: context.eventLoop) {
        case .drop:
            return
        case .reply(let response):
            let buffer = context.channel.allocator.buffer(bytes: response)
            context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: remote, data: buffer)), promise: nil)
        case .pending(let future):
            let channel = context.channel
            future.whenSuccess { response in
                let buffer = channel.allocator.buffer(bytes: response)
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: buffer), promise: nil)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A UDP socket reports failures of earlier sends (ICMP unreachable) here; the socket itself is fine.
        logger.debug("cluster DNS UDP error", metadata: ["error": "\(error)"])
    }
}

/// Length-prefixed queries on a connection, any number of them; a frame without a readable header ends it.
private final class DNSTCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let processor: DNSQueryProcessor

    init(processor: DNSQueryProcessor) {
        self.processor = processor
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch processor.process(Array(frame.readableBytesView), transport: .tcp, on: context.eventLoop) {
        case .drop:
            context.close(promise: nil)
        case .reply(let response):
            context.write(wrapOutboundOut(DNSTCPFrameDecoder.frame(response, allocator: context.channel.allocator)),
                          promise: nil)
        case .pending(let future):
            let channel = context.channel
            future.whenSuccess { response in
                channel.writeAndFlush(DNSTCPFrameDecoder.frame(response, allocator: channel.allocator), promise: nil)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
