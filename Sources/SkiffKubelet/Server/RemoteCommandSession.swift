import CLinuxExtras
import Foundation
import SkiffAPI
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The output streams of a remote command.
enum RemoteCommandStream: Sendable { case stdout, stderr }

/// Where a remote command's output goes and its end is told: WebSocket channels or SPDY streams.
protocol RemoteCommandTransport: Sendable {
    /// Sends output, waiting until it is written (so a slow client slows the command); false: the client is gone.
    /// Called on a thread that may block, never on an event loop.
    func send(_ stream: RemoteCommandStream, _ bytes: [UInt8]) -> Bool
    /// Writes the final status (`metav1.Status`) on the error stream and closes the connection.
    func finish(status: meta.v1.Status)
}

/// One exec or attach: copies the client's stdin to the command and its output to the client, and tells how
/// it ended. The transport feeds it (`stdin`, `closeStdin`, `resize`, `cancel`) from the connection.
final class RemoteCommandSession: Sendable {
    private struct State {
        var process: (any ExecProcess)?
        var stdin: Int32?
        /// Told once when an attached client's stdin is closed.
        var stdinClosed: (@Sendable () -> Void)?
        /// An attached container's terminal, resized with the client's.
        var resizeTerminal: (@Sendable (UInt16, UInt16) -> Void)?
        /// The client's last size: kubectl sends its first one as soon as the stream opens, maybe before the
        /// session is attached.
        var size: (columns: UInt16, rows: UInt16)?
        var follower: ContainerLogFollower?
        var exitCode: Int32?
        var readersLeft = 0
        var finished = false
        var cancelled = false
    }

    let transport: any RemoteCommandTransport
    let options: RemoteCommandOptions
    private let state = Mutex(State())
    /// Writes to the command's stdin in order, off the event loop (a full pipe blocks).
    private let stdinQueue = DispatchQueue(label: "skiff.kubelet.exec.stdin")

    init(transport: any RemoteCommandTransport, options: RemoteCommandOptions) {
        self.transport = transport
        self.options = options
    }

    // MARK: Exec

    /// Copies `process`'s output until it ends, then finishes with its exit status. Output still arriving after
    /// the exit (a background child holding the pipe) is waited for two seconds at most.
    func run(_ process: any ExecProcess) {
        let outputs: [(Int32, RemoteCommandStream, Bool)] =
            [(process.stdout, .stdout, options.stdout)] + (process.stderr.map { [($0, .stderr, options.stderr)] } ?? [])
        let cancelled = state.withLock { state in
            state.process = process
            state.stdin = process.stdin
            state.readersLeft = outputs.count
            return state.cancelled
        }
        if cancelled { process.kill() }
        if !options.stdin { closeStdin() }
        for (fd, stream, wanted) in outputs {
            let thread = Thread { [self] in
                copy(from: fd, to: wanted ? stream : nil)
                close(fd)
                if state.withLock({ state in state.readersLeft -= 1; return state.readersLeft == 0 && state.exitCode != nil }) {
                    complete()
                }
            }
            thread.stackSize = 128 * 1024
            thread.name = "skiff-exec-output"
            thread.start()
        }
        Task {
            let code = await process.exitCode()
            let done = state.withLock { state in
                state.exitCode = code
                return state.readersLeft == 0
            }
            if done { complete() }
            try? await Task.sleep(for: .seconds(2))
            complete()
        }
    }

    private func copy(from fd: Int32, to stream: RemoteCommandStream?) {
        var buffer = [UInt8](repeating: 0, count: 32 * 1024)
        var clientGone = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return }
            // Keep draining after the client left, so the command never blocks on a full pipe.
            if let stream, !clientGone, !transport.send(stream, Array(buffer[..<count])) {
                clientGone = true
                cancel()
            }
        }
    }

    private func complete() {
        let result = state.withLock { state -> (Int32?, Bool) in
            defer { state.finished = true }
            return (state.exitCode, state.finished || state.cancelled)
        }
        guard !result.1 else { return }
        closeStdin()
        let code = result.0 ?? 0
        transport.finish(status: code == 0 ? StreamStatus.success : StreamStatus.exitCode(code, command: options.command))
    }

    // MARK: Attach

    /// Attaches to a container that writes to its log: what it writes from now on goes to the client until the
    /// run ends. The client's input goes to `stdin` (a descriptor of the container's stdin this session owns;
    /// nil where the runtime keeps none), and `stdinClosed` is told when it ends.
    func attach(follower: ContainerLogFollower, offset: Int, stdin: Int32? = nil, stdinClosed: (@Sendable () -> Void)? = nil,
                resizeTerminal: (@Sendable (UInt16, UInt16) -> Void)? = nil, onEnd: @escaping @Sendable () -> Void) {
        let (cancelled, size) = state.withLock { state in
            state.follower = follower
            state.stdin = stdin
            state.stdinClosed = stdinClosed
            state.resizeTerminal = resizeTerminal
            return (state.cancelled, state.size)
        }
        if let size { resizeTerminal?(size.columns, size.rows) }
        if !options.stdin || cancelled { closeStdin() }
        if cancelled {
            onEnd()
            return
        }
        follower.start(offset: offset, handle: { [self] entries in
            for entry in entries {
                let stream: RemoteCommandStream = entry.stream == .stderr && options.stderr ? .stderr : .stdout
                if stream == .stdout, !options.stdout { continue }
                guard transport.send(stream, entry.content) else { return false }
            }
            return true
        }, finished: { [self] in
            onEnd()
            closeStdin()
            let finish = state.withLock { state in
                defer { state.finished = true }
                return !state.finished && !state.cancelled
            }
            if finish { transport.finish(status: StreamStatus.success) }
        })
    }

    /// Ends the session with a failure before anything ran (the container is not running …).
    func fail(_ message: String) {
        let finish = state.withLock { state in
            defer { state.finished = true }
            return !state.finished
        }
        if finish { transport.finish(status: StreamStatus.internalError(message)) }
    }

    // MARK: From the client

    func stdin(_ bytes: [UInt8]) {
        guard options.stdin, !bytes.isEmpty else { return }
        stdinQueue.async { [self] in
            guard let fd = state.withLock({ $0.stdin }) else { return }
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }

    /// The client's stdin ended (a v5 stream close, a SPDY half-close).
    func closeStdin() {
        stdinQueue.async { [self] in
            let (fd, closed) = state.withLock { state in
                defer {
                    state.stdin = nil
                    state.stdinClosed = nil
                }
                return (state.stdin, state.stdinClosed)
            }
            if let fd { close(fd) }
            closed?()
        }
    }

    func resize(columns: UInt16, rows: UInt16) {
        let (process, terminal) = state.withLock { state in
            state.size = (columns, rows)
            return (state.process, state.resizeTerminal)
        }
        process?.resize(columns: columns, rows: rows)
        terminal?(columns, rows)
    }

    /// Reads a resize message (`{"Width":80,"Height":24}`); ignores what is not one.
    func resize(json bytes: [UInt8]) {
        guard let value = try? JSONValue(parsing: bytes), let width = value["Width"]?.intValue,
              let height = value["Height"]?.intValue else { return }
        resize(columns: UInt16(clamping: width), rows: UInt16(clamping: height))
    }

    /// The client went away: the command is killed, nothing more is written.
    func cancel() {
        let (process, follower) = state.withLock { state in
            state.cancelled = true
            return (state.finished ? nil : state.process, state.follower)
        }
        process?.kill()
        follower?.cancel()
        closeStdin()
    }
}
