import SkiffStorage
import Testing

/// Create, get, compare-and-swap update and delete behave identically on every backend.
@Suite("Store conformance: create, get, update, delete")
struct StoreCRUDTests {
    @Test(arguments: Backend.available)
    func createGetUpdateDelete(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let base = try await store.currentRevision()
            let created = try await store.create("/registry/cm/a", value: bytes("v1"))
            #expect(created == base + 1)
            #expect(try await store.currentRevision() == created)
            let got = try #require(try await store.get("/registry/cm/a"))
            #expect(got == StoredValue(key: "/registry/cm/a", value: bytes("v1"), createRevision: created, modRevision: created))

            let updated = try await store.update("/registry/cm/a", value: bytes("v2"), expectedRevision: created)
            #expect(updated == created + 1)
            #expect(try await store.get("/registry/cm/a")
                == StoredValue(key: "/registry/cm/a", value: bytes("v2"), createRevision: created, modRevision: updated))

            let removed = try await store.delete("/registry/cm/a", expectedRevision: updated)
            #expect(removed == StoredValue(key: "/registry/cm/a", value: bytes("v2"), createRevision: created,
                                           modRevision: updated + 1))
            #expect(try await store.get("/registry/cm/a") == nil)
            #expect(try await store.currentRevision() == updated + 1)

            // A key created again starts a new life.
            let again = try await store.create("/registry/cm/a", value: bytes("v3"))
            #expect(again == updated + 2)
            #expect(try await store.get("/registry/cm/a")?.createRevision == again)
        }
    }

    @Test(arguments: Backend.available)
    func refusedWritesChangeNothing(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let first = try await store.create("/k", value: bytes("one"))
            let second = try await store.update("/k", value: bytes("two"), expectedRevision: first)
            let before = try await store.currentRevision()

            let exists = await storeError { _ = try await store.create("/k", value: bytes("other")) }
            #expect(exists?.isKeyExists == true)

            let stale = await storeError { _ = try await store.update("/k", value: bytes("stale"), expectedRevision: first) }
            #expect(stale?.isConflict == true)
            #expect(stale?.current == StoredValue(key: "/k", value: bytes("two"), createRevision: first, modRevision: second))

            let staleDelete = await storeError { _ = try await store.delete("/k", expectedRevision: first) }
            #expect(staleDelete?.isConflict == true)
            #expect(staleDelete?.current?.modRevision == second)

            let missing = await storeError { _ = try await store.update("/missing", value: bytes("x"), expectedRevision: 1) }
            #expect(missing?.isNotFound == true)
            let missingZero = await storeError { _ = try await store.update("/missing", value: bytes("x"), expectedRevision: 0) }
            #expect(missingZero?.isNotFound == true)
            let missingDelete = await storeError { _ = try await store.delete("/missing", expectedRevision: nil) }
            #expect(missingDelete?.isNotFound == true)

            #expect(try await store.currentRevision() == before)
            #expect(try await store.get("/k")?.value == bytes("two"))
            #expect(try await store.get("/missing") == nil)
        }
    }

    @Test(arguments: Backend.available)
    func unconditionalDeleteAndOddValues(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            // Empty values, binary values, a large value and non-ASCII keys round-trip exactly.
            let large = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let values: [(String, [UInt8])] = [
                ("/odd/empty", []), ("/odd/binary", [0, 255, 10, 0, 13]), ("/odd/large", large),
                ("/odd/ünïcødé/名前", bytes("ok")),
            ]
            for (key, value) in values { _ = try await store.create(key, value: value) }
            for (key, value) in values { #expect(try await store.get(key)?.value == value, "\(key)") }

            let removed = try await store.delete("/odd/binary", expectedRevision: nil)
            #expect(removed.value == [0, 255, 10, 0, 13])
            #expect(try await store.get("/odd/binary") == nil)
        }
    }

    /// Empty keys and negative revisions are refused, and nothing is stored.
    @Test(arguments: Backend.validating)
    func malformedInputIsRefused(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            _ = try await store.create("/x", value: bytes("x"))
            let before = try await store.currentRevision()
            let emptyCreate = await storeError { _ = try await store.create("", value: bytes("v")) }
            #expect(emptyCreate?.code == .invalid)
            let emptyUpdate = await storeError { _ = try await store.update("", value: bytes("v"), expectedRevision: 1) }
            #expect(emptyUpdate?.code == .invalid)
            let emptyDelete = await storeError { _ = try await store.delete("", expectedRevision: nil) }
            #expect(emptyDelete?.code == .invalid)
            let negative = await storeError { _ = try await store.list(prefix: "/", startAfter: nil, limit: 0, revision: -1) }
            #expect(negative?.code == .invalid)
            #expect(try await store.get("") == nil)
            #expect(try await store.currentRevision() == before)
            #expect(try await store.count(prefix: "") == 1)
        }
    }
}
