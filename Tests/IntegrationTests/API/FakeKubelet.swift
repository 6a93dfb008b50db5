import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import X509

/// A stand-in kubelet for the API server's side of logs and exec: TLS, answers `/containerLogs` with a
/// chunked body (or a 400 for a pod named "waiting"), and `/exec` with a 101 after which it echoes bytes.
/// It records each request head and the client certificate's common name.
final class FakeKubelet: Sendable {
    let channel: any Channel
    let requests = NIOLockedValueBox<[String]>([])
    let clientNames = NIOLockedValueBox<[String]>([])

    var port: Int { channel.localAddress?.port ?? 0 }

    init(tls: NIOSSLContext) async throws {
        let requests = self.requests
        let clientNames = self.clientNames
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    try channel.pipeline.syncOperations.addHandler(Handler(requests: requests, clientNames: clientNames))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func stop() async { try? await channel.close() }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let requests: NIOLockedValueBox<[String]>
        let clientNames: NIOLockedValueBox<[String]>
        var head = ""
        var upgraded = false

        init(requests: NIOLockedValueBox<[String]>, clientNames: NIOLockedValueBox<[String]>) {
            self.requests = requests
            self.clientNames = clientNames
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            if upgraded {
                context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
                return
            }
            head += buffer.readString(length: buffer.readableBytes) ?? ""
            guard head.contains("\r\n\r\n") else { return }
            requests.withLockedValue { $0.append(head) }
            if let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
               let certificate = handler.peerCertificate, let der = try? certificate.toDERBytes(),
               let parsed = try? Certificate(derEncoded: der) {
                let name = parsed.subject.description
                clientNames.withLockedValue { $0.append(name) }
            }
            let target = head.split(separator: " ").dropFirst().first.map(String.init) ?? ""
            var answer = context.channel.allocator.buffer(capacity: 256)
            if target.hasPrefix("/containerLogs/default/waiting/") {
                let text = "container \"c\" in pod \"waiting\" is waiting to start: ContainerCreating"
                answer.writeString("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: \(text.utf8.count)\r\n\r\n\(text)")
            } else if target.hasPrefix("/containerLogs/") {
                answer.writeString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
                for line in ["line one\n", "line two\n"] { answer.writeString(String(line.utf8.count, radix: 16) + "\r\n" + line + "\r\n") }
                answer.writeString("0\r\n\r\n")
            } else if target.hasPrefix("/exec/default/web/") {
                // A command that ends at once: the 101, its output and the close all in one go.
                answer.writeString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nbye-then-close")
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(answer)).whenComplete { _ in channel.close(promise: nil) }
                return
            } else if target.hasPrefix("/exec/") || target.hasPrefix("/portForward/") {
                answer.writeString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\nhello-after-101")
                upgraded = true
            } else {
                answer.writeString("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot found")
            }
            context.writeAndFlush(wrapOutboundOut(answer), promise: nil)
        }
    }
}

/// A raw TLS client: writes bytes, collects what comes back.
final class RawTLSClient: Sendable {
    let channel: any Channel
    let received = NIOLockedValueBox<[UInt8]>([])

    init(port: Int) async throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        let context = try NIOSSLContext(configuration: configuration)
        let received = self.received
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHandler(Collector(received: received))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(string: text))
    }

    var text: String { String(decoding: received.withLockedValue { $0 }, as: UTF8.self) }

    /// Waits until what came back contains `needle`.
    func waitFor(_ needle: String, timeout: Duration = .seconds(10)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if text.contains(needle) { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    func close() async { try? await channel.close() }

    final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<[UInt8]>
        init(received: NIOLockedValueBox<[UInt8]>) { self.received = received }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLockedValue { $0.append(contentsOf: buffer.readableBytesView) }
        }
    }
}
