import Foundation
import NIOCore
import SkiffAPI
import Synchronization

/// Exec and attach over SPDY (kubectl 1.27–1.29, and newer ones when WebSocket is off): the client opens one
/// stream per channel, named by its `streamtype` header (error, stdin, stdout, stderr, resize); the command
/// starts once every stream the query asked for is open.
final class SPDYRemoteCommand: SPDYStreamDelegate {
    private final class StateBox: Sendable {
        let value = Mutex(State())
        func withLock<R>(_ body: (inout State) -> R) -> R { value.withLock { body(&$0) } }
    }

    /// `X-Stream-Protocol-Version` values, the client's preference first wins. v4 writes a `Status` on the error
    /// stream; older ones only a failure's message. Resize streams exist from v3.
    static let protocols = ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"]

    private struct State {
        var streams: [String: UInt32] = [:]
        var started = false
        var resizeBuffer: [UInt8] = []
    }

    private let state = StateBox()
    let found: KubeletUpgraders.Accepted
    let version: String
    let endpoints: KubeletEndpoints
    let writer: SPDYStreamWriter
    private let sessionBox = Mutex<RemoteCommandSession?>(nil)

    init(found: KubeletUpgraders.Accepted, version: String, endpoints: KubeletEndpoints, writer: SPDYStreamWriter) {
        self.found = found
        self.version = version
        self.endpoints = endpoints
        self.writer = writer
        // Upstream's kubelet waits 30 s for the client's streams, then gives up on the connection.
        let state = self.state
        writer.channel.eventLoop.scheduleTask(in: .seconds(30)) { [writer] in
            if !state.withLock({ $0.started }) { writer.channel.close(promise: nil) }
        }
    }

    private var session: RemoteCommandSession? { sessionBox.withLock { $0 } }

    private var expected: Set<String> {
        let options = found.options
        var names: Set = ["error"]
        if options.stdin { names.insert("stdin") }
        if options.stdout { names.insert("stdout") }
        if options.stderr { names.insert("stderr") }
        if options.tty, version == "v4.channel.k8s.io" || version == "v3.channel.k8s.io" { names.insert("resize") }
        return names
    }

    func streamOpened(_ id: UInt32, headers: [String: String]) {
        guard let type = headers["streamtype"] else {
            writer.reset(id, status: 1)
            return
        }
        let expected = self.expected
        let start = state.withLock { state -> [String: UInt32]? in
            state.streams[type] = id
            guard !state.started, expected.isSubset(of: Set(state.streams.keys)) else { return nil }
            state.started = true
            return state.streams
        }
        guard let streams = start else { return }
        let transport = SPDYRemoteCommandTransport(writer: writer, streams: streams, statusObjects: version == "v4.channel.k8s.io")
        let session = RemoteCommandSession(transport: transport, options: found.options)
        sessionBox.withLock { $0 = session }
        KubeletUpgraders.start(found, session: session, endpoints: endpoints)
    }

    func streamData(_ id: UInt32, _ bytes: [UInt8]) {
        let (stdin, resize) = state.withLock { ($0.streams["stdin"], $0.streams["resize"]) }
        if id == stdin {
            session?.stdin(bytes)
        } else if id == resize {
            // The client writes one JSON object per line (Go's json.Encoder).
            let lines = state.withLock { state -> [[UInt8]] in
                state.resizeBuffer += bytes
                guard let end = state.resizeBuffer.lastIndex(of: 0x0A) else { return [] }
                defer { state.resizeBuffer.removeSubrange(...end) }
                return state.resizeBuffer[...end].split(separator: 0x0A).map(Array.init)
            }
            for line in lines { session?.resize(json: line) }
        }
    }

    func streamFinished(_ id: UInt32) {
        if id == state.withLock({ $0.streams["stdin"] }) { session?.closeStdin() }
    }

    func connectionClosed() {
        session?.cancel()
    }
}

/// Sends a session's output on its SPDY streams.
struct SPDYRemoteCommandTransport: RemoteCommandTransport {
    let writer: SPDYStreamWriter
    let streams: [String: UInt32]
    let statusObjects: Bool

    func send(_ stream: RemoteCommandStream, _ bytes: [UInt8]) -> Bool {
        guard let id = streams[stream == .stdout ? "stdout" : "stderr"] else { return true }
        return (try? writer.send(id, bytes).wait()) != nil
    }

    func finish(status: meta.v1.Status) {
        var payload: [UInt8] = []
        if statusObjects {
            payload = status.json.serialized()
        } else if status.status != "Success" {
            payload = Array((status.message ?? "").utf8)
        }
        if let error = streams["error"] { writer.send(error, payload, fin: true) }
        for name in ["stdout", "stderr"] {
            if let id = streams[name] { writer.send(id, [], fin: true) }
        }
        writer.goAway()
    }
}
