import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Port-forward over SPDY (`portforward.k8s.io`), also tunnelled in WebSocket messages by kubectl ≥ 1.31:
/// the client opens a pair of streams per connection, `streamtype` error and data with the same `port` and
/// `requestID`; the data stream is spliced to a TCP connection to that port in the pod (127.0.0.1 for pods
/// on the host's network), the error stream carries a failure's message.
final class SPDYPortForward: SPDYStreamDelegate {
    static let protocolName = "portforward.k8s.io"

    private struct Pair {
        var port: UInt16
        var data: UInt32?
        var error: UInt32?
        /// Client bytes that came before the TCP connection was up.
        var pending: [[UInt8]] = []
        var clientFinished = false
        var upstream: (any Channel)?
        var connecting = false
    }

    private let pairs = Mutex<[String: Pair]>([:])
    /// Stream ID to its pair's key.
    private let keys = Mutex<[UInt32: String]>([:])
    let target: ContainerTarget
    let endpoints: KubeletEndpoints
    let writer: SPDYStreamWriter

    init(target: ContainerTarget, endpoints: KubeletEndpoints, writer: SPDYStreamWriter) {
        self.target = target
        self.endpoints = endpoints
        self.writer = writer
    }

    func streamOpened(_ id: UInt32, headers: [String: String]) {
        guard let type = headers["streamtype"], type == "data" || type == "error",
              let portText = headers["port"], let port = UInt16(portText), port > 0 else {
            writer.reset(id, status: 1)
            return
        }
        let key = headers["requestid"] ?? "port-\(port)"
        keys.withLock { $0[id] = key }
        let ready = pairs.withLock { pairs -> Bool in
            var pair = pairs[key] ?? Pair(port: port)
            if type == "data" { pair.data = id } else { pair.error = id }
            let ready = pair.data != nil && pair.error != nil && !pair.connecting
            if ready { pair.connecting = true }
            pairs[key] = pair
            return ready
        }
        if ready { connect(key: key, port: port) }
    }

    private func connect(key: String, port: UInt16) {
        let connected = PodPortConnection.open(
            port: port, podUID: target.podUID, runtime: endpoints.runtime, eventLoop: writer.channel.eventLoop,
            onData: { [self] bytes in upstreamRead(key: key, bytes) }, onClose: { [self] in upstreamClosed(key: key) })
        connected.whenComplete { [self] result in
            switch result {
            case .success(let channel):
                let (pending, finished) = pairs.withLock { pairs -> ([[UInt8]], Bool) in
                    pairs[key]?.upstream = channel
                    defer { pairs[key]?.pending = [] }
                    return (pairs[key]?.pending ?? [], pairs[key]?.clientFinished ?? false)
                }
                for bytes in pending { channel.write(ByteBuffer(bytes: bytes), promise: nil) }
                channel.flush()
                if finished { channel.close(mode: .output, promise: nil) }
            case .failure(let error):
                let pair = pairs.withLock { $0.removeValue(forKey: key) }
                let message = "error forwarding port \(port) to pod \(target.podName), uid \(target.podUID): \(error)"
                if let id = pair?.error { writer.send(id, Array(message.utf8), fin: true) }
                if let id = pair?.data { writer.send(id, [], fin: true) }
            }
        }
    }

    func streamData(_ id: UInt32, _ bytes: [UInt8]) {
        guard let key = keys.withLock({ $0[id] }) else { return }
        let upstream = pairs.withLock { pairs -> (any Channel)? in
            guard pairs[key]?.data == id else { return nil }
            if let upstream = pairs[key]?.upstream { return upstream }
            pairs[key]?.pending.append(bytes)
            return nil
        }
        upstream?.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
    }

    func streamFinished(_ id: UInt32) {
        guard let key = keys.withLock({ $0[id] }) else { return }
        let upstream = pairs.withLock { pairs -> (any Channel)? in
            guard pairs[key]?.data == id else { return nil }
            pairs[key]?.clientFinished = true
            return pairs[key]?.upstream
        }
        upstream?.close(mode: .output, promise: nil)
    }

    func connectionClosed() {
        let upstreams = pairs.withLock { pairs in
            defer { pairs = [:] }
            return pairs.values.compactMap(\.upstream)
        }
        for upstream in upstreams { upstream.close(promise: nil) }
    }

    // MARK: From the pod's side

    private func upstreamRead(key: String, _ bytes: [UInt8]) {
        guard let id = pairs.withLock({ $0[key]?.data }) else { return }
        writer.send(id, bytes)
    }

    private func upstreamClosed(key: String) {
        guard let pair = pairs.withLock({ $0.removeValue(forKey: key) }) else { return }
        if let id = pair.data { writer.send(id, [], fin: true) }
        if let id = pair.error { writer.send(id, [], fin: true) }
        keys.withLock { keys in
            if let id = pair.data { keys[id] = nil }
            if let id = pair.error { keys[id] = nil }
        }
    }
}
