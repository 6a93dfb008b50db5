import Foundation
@testable import SkiffStorage
import Testing

/// The SQLite file keeps everything across close and reopen, and refuses a second writer.
@Suite("SQLiteStore: restart and exclusivity")
struct SQLiteRestartTests {
    @Test func reopenKeepsKeysRevisionsAndCompaction() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("skiff.db").path
            let first = try SQLiteStore(path: path, logger: testLogger)
            let a1 = try await first.create("/r/a", value: bytes("a1"))
            let b1 = try await first.create("/r/b", value: bytes("b1"))
            let a2 = try await first.update("/r/a", value: bytes("a2"), expectedRevision: a1)
            let bGone = try await first.delete("/r/b", expectedRevision: b1).modRevision
            try await first.compact(revision: b1)
            let c1 = try await first.create("/r/c", value: bytes("c1"))
            await first.close()

            let second = try SQLiteStore(path: path, logger: testLogger)
            #expect(try await second.currentRevision() == c1)
            #expect(try await second.compactedRevision() == b1)
            #expect(try await second.get("/r/a") == StoredValue(key: "/r/a", value: bytes("a2"), createRevision: a1, modRevision: a2))
            #expect(try await second.get("/r/b") == nil)
            #expect(try await second.list(prefix: "/r/", startAfter: nil, limit: 0, revision: b1).values.map(\.key) == ["/r/a", "/r/b"])
            let events = try await collect(3, from: second.watch(prefix: "/r/", afterRevision: b1))
            #expect(events.map(\.revision) == [a2, bGone, c1])
            #expect(events.map(\.kind) == [.updated, .deleted, .created])
            // Revisions continue where they stopped.
            #expect(try await second.create("/r/d", value: bytes("d1")) == c1 + 1)
            await second.close()
        }
    }

    /// A store dropped without `close()` (as when a process dies mid-flight) loses no acknowledged write.
    @Test func reopenAfterDroppingWithoutClose() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("skiff.db").path
            var last: Int64 = 0
            do {
                let store = try SQLiteStore(path: path, logger: testLogger)
                for index in 0..<100 { last = try await store.create("/d/\(index)", value: bytes("\(index)")) }
            }
            // The abandoned writer thread may still hold the lock for a moment while it exits.
            var reopened: SQLiteStore?
            for _ in 0..<100 {
                reopened = try? SQLiteStore(path: path, logger: testLogger)
                if reopened != nil { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let store = try #require(reopened)
            #expect(try await store.currentRevision() == last)
            #expect(try await store.count(prefix: "/d/") == 100)
            await store.close()
        }
    }

    @Test func secondOpenOfTheSameFileIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("skiff.db").path
            let store = try SQLiteStore(path: path, logger: testLogger)
            _ = try await store.create("/x", value: bytes("x"))
            #expect(throws: StoreError.self) { _ = try SQLiteStore(path: path, logger: testLogger) }
            let refused = await storeError { _ = try SQLiteStore(path: path, logger: testLogger) }
            #expect(refused?.code == .unavailable)
            #expect(refused?.message.contains("in use") == true)
            // The refused open changed nothing.
            #expect(try await store.get("/x")?.value == bytes("x"))
            await store.close()
            let again = try SQLiteStore(path: path, logger: testLogger)
            #expect(try await again.get("/x")?.value == bytes("x"))
            await again.close()
        }
    }

    @Test func badPathsAreRefused() async throws {
        for path in ["", ":memory:", "/nonexistent-dir-\(UUID().uuidString)/skiff.db"] {
            #expect(throws: StoreError.self, "\(path)") { _ = try SQLiteStore(path: path, logger: testLogger) }
        }
        try await withTemporaryDirectory { directory in
            // A file that is not a database is refused, not overwritten.
            let path = directory.appendingPathComponent("not-a-db").path
            let junk = Data(repeating: 0x41, count: 8192)
            #expect(FileManager.default.createFile(atPath: path, contents: junk))
            #expect(throws: StoreError.self) { _ = try SQLiteStore(path: path, logger: testLogger) }
            #expect(FileManager.default.contents(atPath: path) == junk)
        }
    }

    @Test func newerLayoutIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("skiff.db").path
            let store = try SQLiteStore(path: path, logger: testLogger)
            await store.close()
            let connection = try SQLiteConnection(path: path, readOnly: false, busyTimeoutMilliseconds: 1000)
            try connection.execute("PRAGMA user_version = 99")
            #expect(throws: StoreError.self) { _ = try SQLiteStore(path: path, logger: testLogger) }
        }
    }
}
