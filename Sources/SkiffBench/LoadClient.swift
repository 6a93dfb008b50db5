import Foundation
import NIOConcurrencyHelpers
public import NIOCore
public import NIOHTTP1
import NIOPosix
import NIOSSL

/// Where the server under test is and how to authenticate to it.
public struct BenchTarget: Sendable {
    public var host: String
    public var port: Int
    public var caPEM: String
    public var token: String

    public init(host: String, port: Int, caPEM: String, token: String) {
        self.host = host
        self.port = port
        self.caPEM = caPEM
        self.token = token
    }

    func tlsContext() throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
        tls.certificateVerification = .noHostnameVerification
        tls.applicationProtocols = ["http/1.1"]
        return try NIOSSLContext(configuration: tls)
    }

    func head(_ method: HTTPMethod, _ uri: String, contentLength: Int? = nil) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "Authorization", value: "Bearer \(token)")
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: "skiff-bench")
        if let contentLength {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(contentLength))
        }
        return HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
    }
}

/// The outcome of a closed-loop load run: every request's latency and status.
public struct LoadResult: Sendable {
    public var latenciesNanoseconds: [UInt64]
    public var statusCounts: [Int: Int]
    public var elapsedSeconds: Double

    public var requestsPerSecond: Double { Double(latenciesNanoseconds.count) / max(elapsedSeconds, 1e-9) }

    /// The latency at quantile `q` (0…1) in milliseconds.
    public func percentileMilliseconds(_ q: Double) -> Double {
        guard !latenciesNanoseconds.isEmpty else { return 0 }
        let sorted = latenciesNanoseconds.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)
        return Double(sorted[max(0, index)]) / 1_000_000
    }
}

/// A closed-loop HTTP/1.1 load generator over TLS: each connection sends a request, waits for the whole
/// response, records the latency and sends the next — as `wrk` does — until `total` requests were made.
public enum LoadClient {
    /// Runs `total` requests over `connections` keep-alive connections; `request(i)` makes the i-th request.
    public static func run(target: BenchTarget, connections: Int, total: Int,
                           request: @escaping @Sendable (Int) -> (HTTPRequestHead, ByteBuffer?)) async throws -> LoadResult {
        let group = MultiThreadedEventLoopGroup.singleton
        let tls = try target.tlsContext()
        let shared = LoadShared(total: total)
        let start = DispatchTime.now().uptimeNanoseconds
        var channels: [any Channel] = []
        for _ in 0..<connections {
            let channel = try await ClientBootstrap(group: group)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil))
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(LoadConnectionHandler(shared: shared, request: request))
                    }
                }
                .connect(host: target.host, port: target.port).get()
            channels.append(channel)
        }
        for channel in channels { try? await channel.closeFuture.get() }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return shared.result(elapsed: elapsed)
    }
}

final class LoadShared: Sendable {
    struct State {
        var next = 0
        var latencies: [UInt64] = []
        var statuses: [Int: Int] = [:]
    }

    let total: Int
    let state: NIOLockedValueBox<State>

    init(total: Int) {
        self.total = total
        var initial = State()
        initial.latencies.reserveCapacity(total)
        state = NIOLockedValueBox(initial)
    }

    /// The index of the next request to send, or `nil` when all were handed out.
    func take() -> Int? {
        state.withLockedValue { state in
            guard state.next < total else { return nil }
            defer { state.next += 1 }
            return state.next
        }
    }

    func record(latency: UInt64, status: Int) {
        state.withLockedValue { state in
            state.latencies.append(latency)
            state.statuses[status, default: 0] += 1
        }
    }

    func result(elapsed: Double) -> LoadResult {
        state.withLockedValue { LoadResult(latenciesNanoseconds: $0.latencies, statusCounts: $0.statuses, elapsedSeconds: elapsed) }
    }
}

final class LoadConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let shared: LoadShared
    let request: @Sendable (Int) -> (HTTPRequestHead, ByteBuffer?)
    var sentAt: UInt64 = 0
    var status = 0

    init(shared: LoadShared, request: @escaping @Sendable (Int) -> (HTTPRequestHead, ByteBuffer?)) {
        self.shared = shared
        self.request = request
    }

    func channelActive(context: ChannelHandlerContext) {
        sendNext(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body: break
        case .end:
            shared.record(latency: DispatchTime.now().uptimeNanoseconds - sentAt, status: status)
            sendNext(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func sendNext(context: ChannelHandlerContext) {
        guard let index = shared.take() else {
            context.close(promise: nil)
            return
        }
        let (head, body) = request(index)
        sentAt = DispatchTime.now().uptimeNanoseconds
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
