import SkiffStorage
import Testing

/// Lists by prefix, in pages, and at past revisions; counts.
@Suite("Store conformance: list and count")
struct StoreListTests {
    static let keys = ["/r/a/1", "/r/a/2", "/r/a/3", "/r/a/10", "/r/ab/1", "/r/b/1", "/s/x"]

    @Test(arguments: Backend.available)
    func prefixOrderAndCount(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            for key in Self.keys { _ = try await store.create(key, value: bytes("value of \(key)")) }
            let current = try await store.currentRevision()

            let list = try await store.list(prefix: "/r/a/", startAfter: nil, limit: 0, revision: 0)
            // Byte order: "/r/a/10" sorts before "/r/a/2"; "/r/ab/1" is not under "/r/a/".
            #expect(list.values.map(\.key) == ["/r/a/1", "/r/a/10", "/r/a/2", "/r/a/3"])
            #expect(list.values.allSatisfy { $0.value == bytes("value of \($0.key)") })
            #expect(list.revision == current)
            #expect(!list.hasMore)

            #expect(try await store.list(prefix: "", startAfter: nil, limit: 0, revision: 0).values.count == Self.keys.count)
            #expect(try await store.list(prefix: "/nothing/", startAfter: nil, limit: 0, revision: 0).values.isEmpty)
            #expect(try await store.count(prefix: "/r/a/") == 4)
            #expect(try await store.count(prefix: "/r/") == 6)
            #expect(try await store.count(prefix: "") == Int64(Self.keys.count))
            #expect(try await store.count(prefix: "/nothing/") == 0)

            _ = try await store.delete("/r/a/2", expectedRevision: nil)
            #expect(try await store.count(prefix: "/r/a/") == 3)
            #expect(try await store.list(prefix: "/r/a/", startAfter: nil, limit: 0, revision: 0).values.map(\.key)
                == ["/r/a/1", "/r/a/10", "/r/a/3"])
        }
    }

    @Test(arguments: Backend.available)
    func paging(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            for key in Self.keys { _ = try await store.create(key, value: bytes("v")) }
            let first = try await store.list(prefix: "/r/a/", startAfter: nil, limit: 3, revision: 0)
            #expect(first.values.map(\.key) == ["/r/a/1", "/r/a/10", "/r/a/2"])
            #expect(first.hasMore)
            if let remaining = first.remainingCount { #expect(remaining == 1) }

            let second = try await store.list(prefix: "/r/a/", startAfter: "/r/a/2", limit: 3, revision: first.revision)
            #expect(second.values.map(\.key) == ["/r/a/3"])
            #expect(!second.hasMore)
            #expect(second.revision == first.revision)

            // A page that ends exactly at the last key has no more.
            let exact = try await store.list(prefix: "/r/a/", startAfter: "/r/a/10", limit: 2, revision: 0)
            #expect(exact.values.map(\.key) == ["/r/a/2", "/r/a/3"])
            #expect(!exact.hasMore)

            // startAfter before the prefix starts at the prefix; after every key gives nothing.
            #expect(try await store.list(prefix: "/r/b/", startAfter: "/a", limit: 0, revision: 0).values.map(\.key) == ["/r/b/1"])
            #expect(try await store.list(prefix: "/r/a/", startAfter: "/r/a/9", limit: 0, revision: 0).values.isEmpty)
        }
    }

    @Test(arguments: Backend.available)
    func listAtPastRevision(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let a1 = try await store.create("/p/a", value: bytes("a1"))
            let b1 = try await store.create("/p/b", value: bytes("b1"))
            let a2 = try await store.update("/p/a", value: bytes("a2"), expectedRevision: a1)
            let bGone = try await store.delete("/p/b", expectedRevision: nil).modRevision
            let c1 = try await store.create("/p/c", value: bytes("c1"))

            let atB1 = try await store.list(prefix: "/p/", startAfter: nil, limit: 0, revision: b1)
            #expect(atB1.revision == b1)
            #expect(atB1.values == [
                StoredValue(key: "/p/a", value: bytes("a1"), createRevision: a1, modRevision: a1),
                StoredValue(key: "/p/b", value: bytes("b1"), createRevision: b1, modRevision: b1),
            ])
            let atA2 = try await store.list(prefix: "/p/", startAfter: nil, limit: 0, revision: a2)
            #expect(atA2.values.map(\.value) == [bytes("a2"), bytes("b1")])
            let atDelete = try await store.list(prefix: "/p/", startAfter: nil, limit: 0, revision: bGone)
            #expect(atDelete.values.map(\.key) == ["/p/a"])
            let latest = try await store.list(prefix: "/p/", startAfter: nil, limit: 0, revision: 0)
            #expect(latest.values.map(\.key) == ["/p/a", "/p/c"])
            #expect(latest.revision == c1)
            #expect(try await store.list(prefix: "/p/", startAfter: nil, limit: 0, revision: c1).values == latest.values)

            let page = try await store.list(prefix: "/p/", startAfter: nil, limit: 1, revision: b1)
            #expect(page.values.map(\.key) == ["/p/a"])
            #expect(page.hasMore)
            let rest = try await store.list(prefix: "/p/", startAfter: "/p/a", limit: 1, revision: b1)
            #expect(rest.values.map(\.key) == ["/p/b"])
            #expect(!rest.hasMore)

            let future = await storeError { _ = try await store.list(prefix: "/p/", startAfter: nil, limit: 0, revision: c1 + 5) }
            #expect(future?.code == .invalid)
        }
    }
}
