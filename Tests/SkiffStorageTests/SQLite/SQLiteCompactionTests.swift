import Foundation
@testable import SkiffStorage
import Testing

/// Compaction deletes the rows it made unreachable, in slices, and finishes after an interruption.
@Suite("SQLiteStore: compaction and checkpoints")
struct SQLiteCompactionTests {
    static func rowCount(_ path: String) throws -> Int64 {
        let connection = try SQLiteConnection(path: path, readOnly: true, busyTimeoutMilliseconds: 1_000)
        return try connection.integer("SELECT count(*) FROM kv") ?? -1
    }

    static func options(slice: Int64 = 1_000) -> SQLiteStore.Options {
        var options = SQLiteStore.Options()
        options.compactionSlice = slice
        return options
    }

    @Test func compactionDeletesSupersededRowsAndTombstones() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("skiff.db").path
            // A small slice makes the cleaning take many transactions.
            let store = try SQLiteStore(path: path, options: Self.options(slice: 7), logger: testLogger)
            for key in 0..<20 {
                var revision = try await store.create("/k/\(key)", value: bytes("0"))
                for step in 1...4 { revision = try await store.update("/k/\(key)", value: bytes("\(step)"), expectedRevision: revision) }
            }
            for key in 0..<5 { _ = try await store.delete("/k/\(key)", expectedRevision: nil) }
            let middle = try await store.currentRevision()
            for key in 5..<10 {
                let current = try #require(try await store.get("/k/\(key)"))
                _ = try await store.update("/k/\(key)", value: bytes("late"), expectedRevision: current.modRevision)
            }
            #expect(try Self.rowCount(path) == 20 * 5 + 5 + 5)

            try await store.compact(revision: middle)
            // Left: the 15 live keys' values as of `middle`, plus the 5 later updates.
            #expect(try Self.rowCount(path) == 15 + 5)
            #expect(try await store.list(prefix: "/k/", startAfter: nil, limit: 0, revision: middle).values.count == 15)
            let events = try await collect(5, from: store.watch(prefix: "/k/", afterRevision: middle))
            #expect(events.allSatisfy { $0.kind == .updated && $0.previous?.value == bytes("4") })

            try await store.compact(revision: try await store.currentRevision())
            #expect(try Self.rowCount(path) == 15)
            await store.close()
        }
    }

    /// A compaction cut short (the process died) is finished when the file is opened again.
    @Test func interruptedCompactionResumesOnOpen() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("skiff.db").path
            let store = try SQLiteStore(path: path, options: Self.options(), logger: testLogger)
            var revision = try await store.create("/k", value: bytes("0"))
            for step in 1...50 { revision = try await store.update("/k", value: bytes("\(step)"), expectedRevision: revision) }
            await store.close()

            // What a crash right after the compaction was recorded leaves behind.
            let connection = try SQLiteConnection(path: path, readOnly: false, busyTimeoutMilliseconds: 1_000)
            try connection.execute("UPDATE meta SET value = \(revision) WHERE name = 'compacted'")
            #expect(try Self.rowCount(path) == 51)

            let reopened = try SQLiteStore(path: path, options: Self.options(), logger: testLogger)
            #expect(try await reopened.compactedRevision() == revision)
            for _ in 0..<200 where try Self.rowCount(path) != 1 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(try Self.rowCount(path) == 1)
            #expect(try await reopened.get("/k")?.value == bytes("50"))
            await reopened.close()
        }
    }

    /// Enough writes for many checkpoints: the WAL is folded back and stays bounded, and the file is whole.
    @Test func checkpointsKeepTheWALBounded() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("skiff.db").path
            var options = Self.options()
            options.checkpointPages = 100
            let store = try SQLiteStore(path: path, options: options, logger: testLogger)
            let value = [UInt8](repeating: 120, count: 2_000)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        for index in 0..<500 { _ = try await store.create("/w/\(worker)/\(index)", value: value) }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.count(prefix: "/w/") == 4_000)
            let wal = (try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
            // 4,000 values of 2 KB would be over 8 MB of WAL without checkpoints.
            #expect(wal < 6 * 1024 * 1024, "WAL is \(wal) bytes")
            await store.close()
            let connection = try SQLiteConnection(path: path, readOnly: true, busyTimeoutMilliseconds: 1_000)
            #expect(try connection.text("PRAGMA integrity_check") == "ok")
            #expect(try connection.integer("SELECT count(*) FROM current") == 4_000)
        }
    }
}
