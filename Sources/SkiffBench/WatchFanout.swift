import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Many concurrent watchers of one collection; each event carries the time it was sent (a `sent` data
/// field with a monotonic timestamp), so every delivery's latency is measured.
final class WatchFanout: Sendable {
    struct State {
        var latencies: [UInt64] = []
        var deliveries = 0
        var started = 0
        /// Watches whose connection ended before the response head (retried by `start`).
        var failed = 0
        var lastError = ""
    }

    let state = NIOLockedValueBox(State())
    let group = MultiThreadedEventLoopGroup.singleton
    let channels = NIOLockedValueBox<[any Channel]>([])

    /// Opens `count` watches of `path` from `resourceVersion` and waits until the server has answered each.
    func start(target: BenchTarget, path: String, resourceVersion: String, count: Int) async throws {
        let tls = try target.tlsContext()
        var wanted = count
        // A connection the server drops before answering (a failed handshake under a burst of them) is
        // opened again, so the fan-out measures `count` live watchers.
        for _ in 0..<5 where wanted > 0 {
            for _ in 0..<wanted {
                let channel = try await ClientBootstrap(group: group)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil))
                            try channel.pipeline.syncOperations.addHTTPClientHandlers()
                            try channel.pipeline.syncOperations.addHandler(
                                WatchHandler(head: target.head(.GET, "\(path)?watch=true&resourceVersion=\(resourceVersion)"), fanout: self))
                        }
                    }
                    .connect(host: target.host, port: target.port).get()
                channels.withLockedValue { $0.append(channel) }
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while state.withLockedValue({ $0.started + $0.failed }) < count {
                guard ContinuousClock.now < deadline else {
                    let (started, failed) = state.withLockedValue { ($0.started, $0.failed) }
                    throw BenchError("watches did not start: \(started) answered, \(failed) dropped of \(count)")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            wanted = state.withLockedValue { state in
                defer { state.failed = 0 }
                return state.failed
            }
        }
        if wanted > 0 {
            throw BenchError("\(wanted) watches could not be started: \(state.withLockedValue { $0.lastError })")
        }
    }

    func record(_ latency: UInt64) {
        state.withLockedValue {
            $0.latencies.append(latency)
            $0.deliveries += 1
        }
    }

    var deliveries: Int { state.withLockedValue { $0.deliveries } }

    /// Closes every watch at once (one by one, each TLS close waiting for the peer's close_notify
    /// would take minutes for a thousand).
    func stop() async {
        await withTaskGroup(of: Void.self) { group in
            for channel in channels.withLockedValue({ $0 }) {
                group.addTask { try? await channel.close() }
            }
        }
    }

    final class WatchHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundOut = HTTPClientRequestPart
        static let marker = Array(#""sent":""#.utf8)

        let head: HTTPRequestHead
        let fanout: WatchFanout
        var carry: [UInt8] = []
        var answered = false

        init(head: HTTPRequestHead, fanout: WatchFanout) {
            self.head = head
            self.fanout = fanout
        }

        func channelActive(context: ChannelHandlerContext) {
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head:
                answered = true
                fanout.state.withLockedValue { $0.started += 1 }
            case .body(let buffer):
                let now = DispatchTime.now().uptimeNanoseconds
                carry.append(contentsOf: buffer.readableBytesView)
                scan(now: now)
            case .end:
                context.close(promise: nil)
            }
        }

        /// Finds `"sent":"<nanos>"` in complete lines and records now − sent.
        func scan(now: UInt64) {
            guard let lastNewline = carry.lastIndex(of: 0x0A) else { return }
            var i = 0
            let end = lastNewline
            let marker = Self.marker
            while i + marker.count < end {
                if carry[i] == marker[0], carry[i..<(i + marker.count)].elementsEqual(marker) {
                    var j = i + marker.count
                    var value: UInt64 = 0
                    while j < end, carry[j] >= 0x30, carry[j] <= 0x39 {
                        value = value * 10 + UInt64(carry[j] - 0x30)
                        j += 1
                    }
                    if value > 0, now >= value { fanout.record(now - value) }
                    i = j
                } else {
                    i += 1
                }
            }
            carry.removeSubrange(0...lastNewline)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            fanout.state.withLockedValue { $0.lastError = "\(error)" }
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            if !answered { fanout.state.withLockedValue { $0.failed += 1 } }
            answered = true
            context.fireChannelInactive()
        }
    }
}
