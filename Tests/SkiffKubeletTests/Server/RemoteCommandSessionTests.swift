import Foundation
import SkiffAPI
import SkiffTesting
import Synchronization
import Testing

@testable import SkiffKubelet

/// An attach session's terminal plumbing, with a transport that only records.
@Suite struct RemoteCommandSessionTests {
    final class Recorder: RemoteCommandTransport {
        let finished = Mutex<[meta.v1.Status]>([])
        func send(_ stream: RemoteCommandStream, _ bytes: [UInt8]) -> Bool { true }
        func finish(status: meta.v1.Status) { finished.withLock { $0.append(status) } }
    }

    @Test func aSizeSentBeforeTheAttachReachesTheTerminalAndStdinEndsOnce() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-session-\(UUID().uuidString).log")
        try Data().write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let session = RemoteCommandSession(transport: Recorder(), options: RemoteCommandOptions(stdin: true, tty: true))
        // kubectl sends its size as soon as the stream opens, before the kubelet has attached the session.
        session.resize(json: Array(#"{"Width":120,"Height":40}"#.utf8))
        let sizes = Mutex<[[UInt16]]>([])
        let closed = Mutex(0)
        var pipe: [Int32] = [-1, -1]
        #expect(Glibc.pipe(&pipe) == 0)
        session.attach(follower: try ContainerLogFollower(file: file), offset: 0, stdin: pipe[1],
                       stdinClosed: { closed.withLock { $0 += 1 } },
                       resizeTerminal: { columns, rows in sizes.withLock { $0.append([columns, rows]) } }, onEnd: {})
        session.resize(columns: 100, rows: 30)
        session.stdin(Array("typed".utf8))
        session.closeStdin()
        session.cancel()
        #expect(await waitUntil(timeout: .seconds(5)) { closed.withLock { $0 } == 1 })
        #expect(sizes.withLock { $0 } == [[120, 40], [100, 30]])
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = read(pipe[0], &buffer, buffer.count)
        #expect(Array(buffer[..<max(0, count)]) == Array("typed".utf8))
        // The session closed its end: the reader sees EOF.
        #expect(read(pipe[0], &buffer, buffer.count) == 0)
        close(pipe[0])
    }
}
