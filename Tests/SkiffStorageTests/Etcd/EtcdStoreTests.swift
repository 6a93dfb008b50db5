import Foundation
@testable import SkiffStorage
import Testing

/// What is particular to the etcd backend: endpoint URLs, failover, and a real server being there.
@Suite("EtcdStore")
struct EtcdStoreTests {
    @Test func endpointURLs() throws {
        #expect(try EtcdClient.endpoints(from: "etcd://127.0.0.1:2379") == ["http://127.0.0.1:2379"])
        #expect(try EtcdClient.endpoints(from: "etcd://a:1,b.example:2379, [::1]:2379")
            == ["http://a:1", "http://b.example:2379", "http://[::1]:2379"])
        for bad in ["", "etcd://", "http://127.0.0.1:2379", "etcd://host", "etcd://host:0", "etcd://host:65536",
                    "etcd://host:port", "etcd://:2379", "etcd://a:1,", "etcd://user@host:1", "etcd://host:1/path"] {
            #expect(throws: StoreError.self, "\(bad)") { _ = try EtcdStore(url: bad, logger: testLogger) }
        }
    }

    /// Runs (rather than skips) under CI, where a missing etcd must fail the run.
    @Test(.enabled(if: EtcdServer.isInstalled || EtcdServer.isRequired,
                   "etcd is not installed (/usr/bin/etcd): the etcd conformance cases are skipped"))
    func realEtcdStarts() async throws {
        try await withEtcd { server in
            let store = try EtcdStore(url: server.url, logger: testLogger)
            #expect(try await store.currentRevision() >= 1)
            await store.close()
        }
    }

    @Test(.enabled(if: EtcdServer.isInstalled || EtcdServer.isRequired, "etcd is not installed"))
    func unreachableEndpointsAreSkipped() async throws {
        try await withEtcd { server in
            let dead = try EtcdServer.freePort()
            let store = try EtcdStore(url: "etcd://127.0.0.1:\(dead),127.0.0.1:\(server.clientPort)", logger: testLogger)
            let revision = try await store.create("/failover/a", value: bytes("a"))
            #expect(try await store.get("/failover/a")?.modRevision == revision)
            let events = try await collect(1, from: store.watch(prefix: "/failover/", afterRevision: revision - 1))
            #expect(events.map(\.revision) == [revision])
            await store.close()
        }
    }

    @Test func nothingReachableIsUnavailable() async throws {
        let dead = try EtcdServer.freePort()
        let store = try EtcdStore(url: "etcd://127.0.0.1:\(dead)", logger: testLogger)
        let failure = await storeError { _ = try await store.create("/x", value: bytes("x")) }
        #expect(failure?.code == .unavailable)
        var watchError: (any Error)?
        do {
            for try await _ in store.watch(prefix: "/", afterRevision: 0) {}
        } catch {
            watchError = error
        }
        #expect((watchError as? StoreError)?.code == .unavailable)
        await store.close()
    }

    /// A value over etcd's request limit is refused as invalid, and nothing is stored.
    @Test(.enabled(if: EtcdServer.isInstalled || EtcdServer.isRequired, "etcd is not installed"))
    func oversizedValueIsRefused() async throws {
        try await withEtcd { server in
            let store = try EtcdStore(url: server.url, logger: testLogger)
            let before = try await store.currentRevision()
            let huge = [UInt8](repeating: 7, count: 3 * 1024 * 1024)
            let refused = await storeError { _ = try await store.create("/huge", value: huge) }
            #expect(refused?.code == .invalid)
            #expect(try await store.currentRevision() == before)
            #expect(try await store.get("/huge") == nil)
            await store.close()
        }
    }

    /// The compacted revision is found by bisection, including compactions made by another client.
    @Test(.enabled(if: EtcdServer.isInstalled || EtcdServer.isRequired, "etcd is not installed"))
    func compactedRevisionFoundByBisection() async throws {
        try await withEtcd { server in
            let writer = try EtcdStore(url: server.url, logger: testLogger)
            var revisions: [Int64] = []
            for index in 0..<37 { revisions.append(try await writer.create("/bisect/\(index)", value: bytes("v"))) }
            try await writer.compact(revision: revisions[23])
            let other = try EtcdStore(url: server.url, logger: testLogger)
            #expect(try await other.compactedRevision() == revisions[23])
            try await writer.compact(revision: revisions[30])
            #expect(try await other.compactedRevision() == revisions[30])
            await writer.close()
            await other.close()
        }
    }
}
