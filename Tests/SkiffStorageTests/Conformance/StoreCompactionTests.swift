import Logging
@testable import SkiffStorage
import Testing

/// Compaction forgets history at and before a revision; later reads and watches from there fail with
/// `compacted`, current values stay.
@Suite("Store conformance: compaction")
struct StoreCompactionTests {
    @Test(arguments: Backend.available)
    func compactedHistoryIsRefused(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let a1 = try await store.create("/c/a", value: bytes("a1"))
            let b1 = try await store.create("/c/b", value: bytes("b1"))
            let a2 = try await store.update("/c/a", value: bytes("a2"), expectedRevision: a1)
            let bGone = try await store.delete("/c/b", expectedRevision: b1).modRevision
            let c1 = try await store.create("/c/c", value: bytes("c1"))
            #expect(try await store.compactedRevision() == 0)

            try await store.compact(revision: a2)
            #expect(try await store.compactedRevision() == a2)

            let old = await storeError { _ = try await store.list(prefix: "/c/", startAfter: nil, limit: 0, revision: b1) }
            #expect(old?.isCompacted == true)
            #expect(old?.compactedRevision == a2)

            // The compacted revision itself can still be read.
            let atCompaction = try await store.list(prefix: "/c/", startAfter: nil, limit: 0, revision: a2)
            #expect(atCompaction.values.map(\.value) == [bytes("a2"), bytes("b1")])
            #expect(atCompaction.values.map(\.modRevision) == [a2, b1])
            #expect(try await store.list(prefix: "/c/", startAfter: nil, limit: 0, revision: bGone).values.map(\.key) == ["/c/a"])

            // Current values are kept, with their revisions.
            #expect(try await store.get("/c/a") == StoredValue(key: "/c/a", value: bytes("a2"), createRevision: a1, modRevision: a2))
            #expect(try await store.get("/c/c")?.modRevision == c1)
            #expect(try await store.count(prefix: "/c/") == 2)

            // Watches from before the compaction fail; from it, they replay what follows.
            var refused: (any Error)?
            do {
                for try await _ in store.watch(prefix: "/c/", afterRevision: b1) {}
            } catch {
                refused = error
            }
            #expect((refused as? StoreError)?.isCompacted == true)
            let events = try await collect(2, from: store.watch(prefix: "/c/", afterRevision: a2))
            #expect(events.map(\.kind) == [.deleted, .created])
            #expect(events.map(\.revision) == [bGone, c1])
            #expect(events[0].value.value == bytes("b1"))

            // Compacting backwards does nothing; to the future is refused.
            try await store.compact(revision: a1)
            #expect(try await store.compactedRevision() == a2)
            let future = await storeError { try await store.compact(revision: c1 + 10) }
            #expect(future?.code == .invalid)
            #expect(try await store.compactedRevision() == a2)

            // Everything may be compacted; writes go on.
            try await store.compact(revision: c1)
            #expect(try await store.compactedRevision() == c1)
            let c2 = try await store.update("/c/c", value: bytes("c2"), expectedRevision: c1)
            #expect(c2 == c1 + 1)
            #expect(try await store.list(prefix: "/c/", startAfter: nil, limit: 0, revision: c1).values.map(\.value)
                == [bytes("a2"), bytes("c1")])
        }
    }

    @Test(arguments: Backend.available)
    func backgroundCompactorKeepsRecentHistory(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let compactor = StoreCompactor(store: store, interval: .seconds(300), minimumRetainedRevisions: 5,
                                           logger: testLogger)
            var revision: Int64 = 0
            for index in 0..<20 { revision = try await store.create("/bg/\(index)", value: bytes("v")) }
            // The first tick only remembers where the store is.
            let seen = try await compactor.tick(previous: nil)
            #expect(seen == revision)
            #expect(try await store.compactedRevision() == 0)
            for index in 0..<3 { _ = try await store.delete("/bg/\(index)", expectedRevision: nil) }
            // The next compacts to what the last one saw, keeping at least 5 revisions.
            let now = try await compactor.tick(previous: seen)
            #expect(now == revision + 3)
            #expect(try await store.compactedRevision() == min(seen, now - 5))
            #expect(try await store.count(prefix: "/bg/") == 17)
        }
    }

    @Test func compactorTarget() {
        #expect(StoreCompactor.target(previous: nil, current: 100, retained: 10) == nil)
        #expect(StoreCompactor.target(previous: 50, current: 100, retained: 10) == 50)
        #expect(StoreCompactor.target(previous: 95, current: 100, retained: 10) == 90)
        #expect(StoreCompactor.target(previous: 5, current: 8, retained: 10) == nil)
    }
}
