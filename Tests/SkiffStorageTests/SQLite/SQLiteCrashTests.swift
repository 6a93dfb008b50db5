import Foundation
@testable import SkiffStorage
import SkiffTesting
import Synchronization
import Testing

/// A writer process killed with SIGKILL in the middle of group commits (and of compactions) loses no
/// write it acknowledged, and the file opens cleanly after.
@Suite("SQLiteStore: crash safety")
struct SQLiteCrashTests {
    static let childVariable = "SKIFF_SQLITE_CRASH_CHILD"

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/exe"), "needs /proc/self/exe to re-run this test binary"))
    func killedWriterLosesNoAcknowledgedWrite() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("skiff.db").path
            let output = try cloexecPipe()
            let null = open("/dev/null", O_RDWR | O_CLOEXEC)
            defer { close(null) }
            let child = try TestChild(path: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path,
                                      arguments: ["--testing-library", "swift-testing", "--filter", "crashChildWriter"],
                                      environment: ProcessInfo.processInfo.environment.merging([Self.childVariable: path]) { $1 },
                                      stdin: null, stdout: output.write, stderr: null)
            // Only the child may hold the write end, or the pipe never reports end of file.
            close(output.write)
            let acks = AckCollector(FileHandle(fileDescriptor: output.read, closeOnDealloc: true))

            // Let it commit a good number of batches (and a few compactions), then kill it mid-flight.
            let deadline = ContinuousClock.now + .seconds(120)
            while acks.count < 10_000, child.isRunning, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(child.isRunning, "the child stopped before it was killed")
            child.signal(SIGKILL)
            while child.isRunning { try await Task.sleep(for: .milliseconds(10)) }
            let acknowledged = await acks.finish()
            #expect(acknowledged.count >= 10_000)

            let connection = try SQLiteConnection(path: path, readOnly: true, busyTimeoutMilliseconds: 1_000)
            #expect(try connection.text("PRAGMA integrity_check") == "ok")

            let store = try SQLiteStore(path: path, logger: testLogger)
            let current = try await store.currentRevision()
            #expect(current >= acknowledged.map(\.revision).max() ?? 0)
            var missing = 0
            for ack in acknowledged {
                let stored = try await store.get(ack.key)
                if stored?.modRevision != ack.revision || stored?.value != bytes(ack.key) { missing += 1 }
            }
            #expect(missing == 0, "\(missing) of \(acknowledged.count) acknowledged writes are missing")
            // Every revision from the compacted one on is still in the history, in order.
            let compacted = try await store.compactedRevision()
            #expect(compacted <= current)
            if current > compacted {
                let events = try await collect(Int(current - compacted), from: store.watch(prefix: "/", afterRevision: compacted))
                #expect(events.map(\.revision) == Array((compacted + 1)...current))
            }
            #expect(try await store.create("/after-crash", value: bytes("x")) == current + 1)
            try await store.compact(revision: current)
            await store.close()
        }
    }

    /// The writer the test above runs in a child process (enabled only there): eight concurrent writers
    /// printing each acknowledged revision, with a compaction every few hundred revisions.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[childVariable] != nil, "runs only as the crash test's child"))
    func crashChildWriter() async throws {
        let path = try #require(ProcessInfo.processInfo.environment[Self.childVariable])
        let store = try SQLiteStore(path: path, logger: testLogger)
        let stop = ContinuousClock.now + .seconds(60)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var index = 0
                    while ContinuousClock.now < stop {
                        let key = "/crash/\(worker)/\(index)"
                        let revision = try await store.create(key, value: bytes(key))
                        FileHandle.standardOutput.write(Data("ACK \(key) \(revision)\n".utf8))
                        index += 1
                    }
                }
            }
            group.addTask {
                while ContinuousClock.now < stop {
                    try await Task.sleep(for: .milliseconds(30))
                    let current = try await store.currentRevision()
                    if current > 300 { try await store.compact(revision: current - 200) }
                }
            }
            try await group.waitForAll()
        }
        await store.close()
    }
}

/// Reads "ACK key revision" lines from a pipe on a thread of its own.
final class AckCollector: Sendable {
    struct Ack: Sendable {
        var key: String
        var revision: Int64
    }

    private struct State {
        var acks: [Ack] = []
        var partial: [UInt8] = []
        var done = false
    }

    private let state = Mutex(State())

    init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                state.withLock { state in
                    for byte in data {
                        guard byte == UInt8(ascii: "\n") else {
                            state.partial.append(byte)
                            continue
                        }
                        let line = String(decoding: state.partial, as: UTF8.self)
                        state.partial.removeAll(keepingCapacity: true)
                        let parts = line.split(separator: " ")
                        if parts.count == 3, parts[0] == "ACK", let revision = Int64(parts[2]) {
                            state.acks.append(Ack(key: String(parts[1]), revision: revision))
                        }
                    }
                }
            }
            state.withLock { $0.done = true }
        }
        thread.start()
    }

    var count: Int { state.withLock { $0.acks.count } }

    /// Every acknowledgement, once the pipe has closed (the writer is dead).
    func finish() async -> [Ack] {
        while !state.withLock({ $0.done }) { try? await Task.sleep(for: .milliseconds(10)) }
        return state.withLock { $0.acks }
    }
}
