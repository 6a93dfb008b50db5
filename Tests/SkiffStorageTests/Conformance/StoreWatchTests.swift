import Synchronization
import SkiffStorage
import Testing

/// Watch replays history after a revision, then streams live changes, in revision order, filtered by prefix.
@Suite("Store conformance: watch")
struct StoreWatchTests {
    @Test(arguments: Backend.available)
    func historyThenLiveInOrder(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let start = try await store.currentRevision()
            let a1 = try await store.create("/w/a", value: bytes("a1"))
            _ = try await store.create("/other/x", value: bytes("x"))
            let a2 = try await store.update("/w/a", value: bytes("a2"), expectedRevision: a1)
            let b1 = try await store.create("/w/b", value: bytes("b1"))

            let stream = store.watch(prefix: "/w/", afterRevision: start)
            // Live writes race with the replay; every one must still arrive exactly once, in order.
            let writer = Task {
                var last: Int64 = 0
                for index in 0..<50 { last = try await store.create("/w/live/\(index)", value: bytes("\(index)")) }
                _ = try await store.create("/other/y", value: bytes("y"))
                let gone = try await store.delete("/w/a", expectedRevision: a2)
                return (last, gone.modRevision)
            }
            let events = try await collect(54, from: stream)
            let (lastLive, deleted) = try await writer.value

            #expect(events.count == 54)
            #expect(events.allSatisfy { $0.value.key.hasPrefix("/w/") })
            #expect(zip(events, events.dropFirst()).allSatisfy { $0.revision < $1.revision })
            #expect(events[0] == StoreEvent(kind: .created,
                                            value: StoredValue(key: "/w/a", value: bytes("a1"), createRevision: a1, modRevision: a1),
                                            previous: nil))
            #expect(events[1] == StoreEvent(kind: .updated,
                                            value: StoredValue(key: "/w/a", value: bytes("a2"), createRevision: a1, modRevision: a2),
                                            previous: StoredValue(key: "/w/a", value: bytes("a1"), createRevision: a1, modRevision: a1)))
            #expect(events[2].value.key == "/w/b" && events[2].revision == b1 && events[2].kind == .created)
            #expect(events[3..<53].map(\.value.key) == (0..<50).map { "/w/live/\($0)" })
            #expect(events[52].revision == lastLive)
            #expect(events[53] == StoreEvent(kind: .deleted,
                                             value: StoredValue(key: "/w/a", value: bytes("a2"), createRevision: a1, modRevision: deleted),
                                             previous: StoredValue(key: "/w/a", value: bytes("a2"), createRevision: a1, modRevision: a2)))
        }
    }

    @Test(arguments: Backend.available)
    func watchFromNowSeesOnlyNewChanges(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            _ = try await store.create("/n/old", value: bytes("old"))
            let now = try await store.currentRevision()
            let stream = store.watch(prefix: "/n/", afterRevision: now)
            let next = try await store.create("/n/new", value: bytes("new"))
            let events = try await collect(1, from: stream)
            #expect(events.map(\.value.key) == ["/n/new"])
            #expect(events.map(\.revision) == [next])
        }
    }

    @Test(arguments: Backend.available)
    func manyWatchersEachSeeEverything(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let start = try await store.currentRevision()
            let streams = (0..<8).map { _ in store.watch(prefix: "/m/", afterRevision: start) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask { _ = try await store.create("/m/\(index)", value: bytes("v")) }
                }
                try await group.waitForAll()
            }
            for stream in streams {
                let events = try await collect(40, from: stream)
                #expect(events.map(\.revision) == Array((start + 1)...(start + 40)))
            }
        }
    }

    @Test(arguments: Backend.available)
    func closeEndsWatches(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let stream = store.watch(prefix: "/z/", afterRevision: try await store.currentRevision())
            let seen = Mutex(0)
            let consumer = Task {
                var count = 0
                for try await _ in stream {
                    count += 1
                    seen.withLock { $0 = count }
                }
                return count
            }
            _ = try await store.create("/z/1", value: bytes("1"))
            // Close only once the event is in (a remote watch may take a while to deliver it).
            let deadline = ContinuousClock.now + .seconds(20)
            while seen.withLock({ $0 }) < 1 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            await store.close()
            // Ends without an error, after the event it had.
            #expect(try await consumer.value == 1)
            let afterClose = await storeError { _ = try await store.create("/z/2", value: bytes("2")) }
            #expect(afterClose?.code == .unavailable)
        }
    }

    @Test(arguments: Backend.available)
    func cancellingTheConsumerEndsTheWatch(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let stream = store.watch(prefix: "/q/", afterRevision: try await store.currentRevision())
            let consumer = Task {
                var count = 0
                for try await _ in stream { count += 1 }
                return count
            }
            try await Task.sleep(for: .milliseconds(50))
            consumer.cancel()
            _ = try await consumer.value
            // The store carries on.
            _ = try await store.create("/q/1", value: bytes("1"))
            #expect(try await store.count(prefix: "/q/") == 1)
        }
    }

    /// A watch from a revision not reached yet delivers only changes after it (as etcd's does).
    @Test(arguments: Backend.waitingForFutureRevisions)
    func watchFromFutureRevisionWaitsForIt(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let now = try await store.currentRevision()
            let stream = store.watch(prefix: "/f/", afterRevision: now + 2)
            for index in 0..<4 { _ = try await store.create("/f/\(index)", value: bytes("v")) }
            let events = try await collect(2, from: stream)
            #expect(events.map(\.revision) == [now + 3, now + 4])
        }
    }
}
