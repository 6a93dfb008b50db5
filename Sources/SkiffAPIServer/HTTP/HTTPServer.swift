public import Logging
public import NIOCore
public import NIOHTTP1
import NIOPosix
public import NIOSSL
public import ServiceLifecycle
import Synchronization

/// An HTTP/1.1 server (over TLS when given a context, on TCP or a unix socket) that hands complete requests
/// to a responder.
/// A `Service`: `run()` listens until graceful shutdown, then stops accepting and closes.
public final class HTTPServer: Service, Sendable {
    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks a free port; read it from `listeningPort()`.
        public var port: Int
        public var tls: NIOSSLContext?
        /// Listen on this unix socket (mode 0600) instead of `host` and `port`.
        public var unixSocketPath: String?
        /// Larger request bodies are refused with the response `tooLargeBody` builds.
        public var maxBodySize: Int
        /// How long each phase of a request may take before its connection is closed.
        public var timeouts = HTTPTimeouts()

        public init(host: String, port: Int, tls: NIOSSLContext?, maxBodySize: Int = 3 * 1024 * 1024) {
            self.host = host
            self.port = port
            self.tls = tls
            self.maxBodySize = maxBodySize
        }

        /// A server on the unix socket at `path`, without TLS.
        public init(unixSocketPath path: String, maxBodySize: Int = 3 * 1024 * 1024) {
            self.init(host: "", port: 0, tls: nil, maxBodySize: maxBodySize)
            unixSocketPath = path
        }
    }

    let configuration: Configuration
    let responder: any HTTPResponder
    let group: any EventLoopGroup
    let logger: Logger
    let tooLargeBody: @Sendable (Int) -> (HTTPResponseStatus, HTTPHeaders, [UInt8])
    let listening = Mutex<ListeningState>(.notYet([]))

    enum ListeningState {
        case notYet([CheckedContinuation<Int, any Error>])
        case listening(Int)
        case failed(any Error)
    }

    public init(configuration: Configuration, responder: any HTTPResponder, group: any EventLoopGroup, logger: Logger,
                tooLargeBody: @escaping @Sendable (Int) -> (HTTPResponseStatus, HTTPHeaders, [UInt8])) {
        self.configuration = configuration
        self.responder = responder
        self.group = group
        self.logger = logger
        self.tooLargeBody = tooLargeBody
    }

    /// The port the server listens on, once it does (waits until then; throws if binding failed); 0 on a
    /// unix socket.
    public func listeningPort() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            listening.withLock { state in
                switch state {
                case .notYet(var waiters):
                    waiters.append(continuation)
                    state = .notYet(waiters)
                case .listening(let port): continuation.resume(returning: port)
                case .failed(let error): continuation.resume(throwing: error)
                }
            }
        }
    }

    public func run() async throws {
        let channel: any Channel
        do {
            channel = try await bind()
        } catch {
            settle(.failed(error))
            throw error
        }
        let port = channel.localAddress?.port ?? configuration.port
        settle(.listening(port))
        let address = configuration.unixSocketPath.map { "unix:\($0)" } ?? "\(configuration.host):\(port)"
        logger.info("listening", metadata: ["address": "\(address)", "tls": "\(configuration.tls != nil)"])
        // Stop listening on graceful shutdown, and on cancellation (tests, failed siblings).
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await channel.closeFuture.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
    }

    private func settle(_ new: ListeningState) {
        let waiters = listening.withLock { state -> [CheckedContinuation<Int, any Error>] in
            guard case .notYet(let waiters) = state else { return [] }
            state = new
            return waiters
        }
        for waiter in waiters {
            switch new {
            case .listening(let port): waiter.resume(returning: port)
            case .failed(let error): waiter.resume(throwing: error)
            case .notYet: break
            }
        }
    }

    private func bind() async throws -> any Channel {
        let tls = configuration.tls
        let responder = self.responder
        let maxBodySize = configuration.maxBodySize
        let timeouts = configuration.timeouts
        let tooLargeBody = self.tooLargeBody
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    if let tls { try operations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try operations.configureHTTPServerPipeline(withErrorHandling: true)
                    try operations.addHandler(HTTPConnectionHandler(responder: responder, maxBodySize: maxBodySize,
                                                                    timeouts: timeouts, tooLargeBody: tooLargeBody))
                }
            }
        if let path = configuration.unixSocketPath {
            // A socket file left by a server that was killed would make the bind fail.
            let channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            // Only this user may connect; a request still needs a token.
            guard chmod(path, 0o600) == 0 else {
                try? await channel.close()
                throw IOError(errnoCode: errno, reason: "chmod \(path)")
            }
            return channel
        }
        bootstrap = bootstrap
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
        return try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
    }
}
