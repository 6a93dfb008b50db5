import Foundation
import Logging
import SkiffStorage
import Testing

/// The store implementations the conformance suite runs against.
enum Backend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case memory
    case sqlite
    case etcd

    var testDescription: String { rawValue }

    /// Every backend this machine can run: etcd when installed, and always under CI (where a missing
    /// etcd must fail the run rather than skip it).
    static var available: [Backend] {
        EtcdServer.isInstalled || EtcdServer.isRequired ? allCases : [.memory, .sqlite]
    }

    /// Backends that refuse malformed input (MemoryStore accepts an empty key and reads a negative
    /// revision as a compacted one).
    static var validating: [Backend] { available.filter { $0 != .memory } }

    /// Backends whose watch starting past the current revision waits for it (MemoryStore's does not).
    static var waitingForFutureRevisions: [Backend] { available.filter { $0 != .memory } }
}

let testLogger: Logger = {
    var logger = Logger(label: "skiff-storage-tests")
    logger.logLevel = .warning
    return logger
}()

/// A fresh temp directory, removed after `body`.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("skiff-storage-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// Runs `body` on a new, empty store of `backend`, then closes the store and removes what it made.
func withStore<T>(_ backend: Backend, _ body: (any Store) async throws -> T) async throws -> T {
    switch backend {
    case .memory:
        let store = MemoryStore()
        do {
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    case .sqlite:
        return try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory.appendingPathComponent("skiff.db").path, logger: testLogger)
            do {
                let result = try await body(store)
                await store.close()
                return result
            } catch {
                await store.close()
                throw error
            }
        }
    case .etcd:
        return try await withEtcd { server in
            let store = try EtcdStore(url: server.url, logger: testLogger)
            do {
                let result = try await body(store)
                await store.close()
                return result
            } catch {
                await store.close()
                throw error
            }
        }
    }
}

/// Runs `body` with a real etcd server of its own.
func withEtcd<T>(_ body: (EtcdServer) async throws -> T) async throws -> T {
    await EtcdServer.slots.acquire()
    let server: EtcdServer
    do {
        server = try await EtcdServer.start()
    } catch {
        await EtcdServer.slots.release()
        throw error
    }
    do {
        let result = try await body(server)
        await server.stop()
        await EtcdServer.slots.release()
        return result
    } catch {
        await server.stop()
        await EtcdServer.slots.release()
        throw error
    }
}

/// The UTF-8 bytes of `text`, for values.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Collects `count` events from `stream`, failing the test if it ends or errors first or takes more than
/// `seconds` (a hang is a failure, not a wait forever). The limit is generous: on a loaded 2-core CI machine
/// etcd's fsyncs alone made 53 sequential writes take over 20 s.
func collect(_ count: Int, from stream: AsyncThrowingStream<StoreEvent, any Error>, seconds: Double = 90)
    async throws -> [StoreEvent]
{
    try await withThrowingTaskGroup(of: [StoreEvent].self) { group in
        group.addTask {
            var events: [StoreEvent] = []
            for try await event in stream {
                events.append(event)
                if events.count == count { break }
            }
            return events
        }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw HarnessError("timed out waiting for \(count) watch events")
        }
        let events = try await group.next() ?? []
        group.cancelAll()
        return events
    }
}

/// Runs `body` expecting a `StoreError`; returns it (nil, with a recorded issue, if none was thrown).
func storeError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> StoreError? {
    do {
        try await body()
        Issue.record("expected a StoreError, got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        Issue.record("expected a StoreError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
