import SkiffStorage
import Testing

/// Concurrent writers: exactly one wins per revision, and no update is lost.
@Suite("Store conformance: concurrent writers")
struct StoreConcurrencyTests {
    @Test(arguments: Backend.available)
    func exactlyOneWinsEachRevision(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let created = try await store.create("/cas/x", value: bytes("0"))
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        do {
                            _ = try await store.update("/cas/x", value: bytes("\(index)"), expectedRevision: created)
                            return true
                        } catch let error as StoreError where error.isConflict {
                            #expect(error.current?.modRevision == created + 1)
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await store.get("/cas/x")?.modRevision == created + 1)

            let creators = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        do {
                            _ = try await store.create("/cas/new", value: bytes("\(index)"))
                            return true
                        } catch let error as StoreError where error.isKeyExists {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(creators.filter { $0 }.count == 1)
        }
    }

    @Test(arguments: Backend.available)
    func retryingIncrementsLoseNothing(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let start = try await store.create("/counter", value: bytes("0"))
            let workers = 8
            let increments = 15
            let revisions = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for _ in 0..<workers {
                    group.addTask {
                        var mine: [Int64] = []
                        for _ in 0..<increments {
                            while true {
                                let current = try #require(try await store.get("/counter"))
                                let next = (Int(String(decoding: current.value, as: UTF8.self)) ?? -1) + 1
                                do {
                                    mine.append(try await store.update("/counter", value: bytes("\(next)"),
                                                                       expectedRevision: current.modRevision))
                                    break
                                } catch let error as StoreError where error.isConflict {
                                    continue
                                }
                            }
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0 += $1 }
            }
            #expect(Set(revisions).count == workers * increments)
            #expect(revisions.sorted() == Array((start + 1)...(start + Int64(workers * increments))))
            let final = try #require(try await store.get("/counter"))
            #expect(String(decoding: final.value, as: UTF8.self) == "\(workers * increments)")
        }
    }

    @Test(arguments: Backend.available)
    func concurrentCreatesGetDistinctRevisions(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let start = try await store.currentRevision()
            let revisions = try await withThrowingTaskGroup(of: Int64.self) { group in
                for index in 0..<200 {
                    group.addTask { try await store.create("/many/\(index)", value: bytes("\(index)")) }
                }
                return try await group.reduce(into: [Int64]()) { $0.append($1) }
            }
            #expect(revisions.sorted() == Array((start + 1)...(start + 200)))
            #expect(try await store.count(prefix: "/many/") == 200)
            let listed = try await store.list(prefix: "/many/", startAfter: nil, limit: 0, revision: 0)
            for value in listed.values {
                #expect(value.value == bytes(String(value.key.dropFirst("/many/".count))))
            }
        }
    }
}
