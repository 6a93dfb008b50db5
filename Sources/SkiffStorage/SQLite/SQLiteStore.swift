import Foundation
public import SkiffAPI
public import Logging
import Synchronization

/// The embedded store: an etcd-like MVCC log in one SQLite file (WAL mode), with the same semantics as
/// `MemoryStore`. One writer thread commits writes in groups; a few reader threads serve reads; watchers
/// get live events straight from the writer and history from the table. See `docs/storage.md`.
public final class SQLiteStore: Store {
    /// How hard SQLite works to make each commit durable (`PRAGMA synchronous`).
    public enum Synchronous: Sendable {
        /// A commit survives a crash of the process (even `kill -9`); a power loss or kernel crash may
        /// undo the last commits since the last checkpoint, never corrupt the file. The default.
        case normal
        /// Each group commit waits for fsync: durable against power loss too, at the cost of one fsync
        /// (about 6 ms on these disks) per batch.
        case full
    }

    /// Tuning knobs; the defaults suit an API server.
    public struct Options: Sendable {
        public var synchronous: Synchronous = .normal
        /// Reader threads (each with its own connection).
        public var readers: Int = 2
        /// Most writes committed in one transaction.
        public var maxBatch: Int = 1_000
        /// Revisions cleaned per compaction transaction; writes wait at most for one such slice.
        public var compactionSlice: Int64 = 1_000
        /// Live events a watcher may have unread before it is ended as too slow.
        public var watchBuffer: Int = 100_000
        /// WAL pages (4 KiB) after which a background thread copies the WAL back into the database file.
        public var checkpointPages: Int32 = 1_000
        /// How long a connection waits for a lock another process holds.
        public var busyTimeoutMilliseconds: Int32 = 5_000

        public init() {}
    }

    let path: String
    let logger: Logger
    let hub: WatchHub
    let writer: SQLiteWriter
    let readers: SQLiteReaderPool
    let checkpointer: SQLiteCheckpointer
    private let lock: FileLock
    private let closed = Mutex(false)

    /// Opens (creating if needed) the database at `path`. Fails with `unavailable` when the file cannot be
    /// opened, has a newer layout, or is in use by another process.
    public init(path: String, options: Options = Options(), logger: Logger) throws(StoreError) {
        guard !path.isEmpty, path != ":memory:", !path.hasPrefix("file:") else {
            throw StoreError(.invalid, message: "SQLite store needs a file path (got \"\(path)\")")
        }
        self.path = path
        self.logger = logger
        lock = try FileLock(path: path + ".lock")
        try Self.restrictPermissions(path: path)
        let connection = try SQLiteConnection(path: path, readOnly: false, busyTimeoutMilliseconds: options.busyTimeoutMilliseconds)
        try SQLiteSchema.prepare(connection, synchronous: options.synchronous)
        let revision = try SQLiteSchema.currentRevision(connection)
        let compacted = try SQLiteSchema.meta(connection, SQLiteSchema.compactedKey)
        let compactDone = try SQLiteSchema.meta(connection, SQLiteSchema.compactDoneKey)
        var readerConnections: [SQLiteConnection] = []
        for _ in 0..<max(1, options.readers) {
            readerConnections.append(try SQLiteConnection(path: path, readOnly: true,
                                                          busyTimeoutMilliseconds: options.busyTimeoutMilliseconds))
        }
        connection.trackWALSize()
        checkpointer = try SQLiteCheckpointer(
            connection: try SQLiteConnection(path: path, readOnly: false, busyTimeoutMilliseconds: options.busyTimeoutMilliseconds),
            thresholdPages: options.checkpointPages, logger: logger)
        hub = WatchHub(revision: revision, compacted: compacted, bufferLimit: options.watchBuffer)
        writer = SQLiteWriter(connection: connection, hub: hub, revision: revision, compacted: compacted,
                              compactDone: compactDone, maxBatch: max(1, options.maxBatch),
                              compactionSlice: max(1, options.compactionSlice), checkpointer: checkpointer, logger: logger)
        readers = SQLiteReaderPool(connections: readerConnections)
        checkpointer.start()
        writer.start()
        logger.info("opened SQLite store", metadata: [
            "path": "\(path)", "revision": "\(revision)", "compacted": "\(compacted)",
        ])
        if compactDone < compacted {
            logger.info("resuming interrupted compaction", metadata: ["from": "\(compactDone)", "to": "\(compacted)"])
        }
    }

    /// The database holds every Secret, so only its owner may read it: the file is created 0600 (SQLite gives
    /// its `-wal` and `-shm` files the database's mode) and files an older version left readable are narrowed.
    static func restrictPermissions(path: String) throws(StoreError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError(.unavailable, message: "cannot open SQLite database \(path): \(String(cString: strerror(errno)))")
        }
        Foundation.close(fd)
        for file in [path, path + "-wal", path + "-shm", path + "-journal", path + ".lock"] {
            var info = stat()
            if stat(file, &info) == 0, info.st_mode & 0o077 != 0 { chmod(file, 0o600) }
        }
    }

    public func currentRevision() async throws(StoreError) -> Int64 {
        try checkOpen()
        return hub.revision
    }

    public func compactedRevision() async throws(StoreError) -> Int64 {
        try checkOpen()
        return hub.compacted
    }

    public func get(_ key: String) async throws(StoreError) -> StoredValue? {
        if key.isEmpty { return nil }
        return try await readers.read { connection throws(StoreError) in try SQLiteReads.get(connection, key: key) }
    }

    public func count(prefix: String) async throws(StoreError) -> Int64 {
        try await readers.read { connection throws(StoreError) in
            try SQLiteReads.count(connection, range: KeyRange(prefix: prefix))
        }
    }

    public func list(prefix: String, startAfter: String?, limit: Int, revision: Int64) async throws(StoreError)
        -> StoreListResult
    {
        try await readers.read { connection throws(StoreError) in
            try SQLiteReads.list(connection, prefix: prefix, startAfter: startAfter, limit: limit, revision: revision)
        }
    }

    public func create(_ key: String, value: [UInt8]) async throws(StoreError) -> Int64 {
        try await write(.create(key: key, value: value, decoded: nil)).revision
    }

    public func create(_ key: String, value: [UInt8], decoded: JSONValue?) async throws(StoreError) -> Int64 {
        try await write(.create(key: key, value: value, decoded: decoded)).revision
    }

    public func update(_ key: String, value: [UInt8], expectedRevision: Int64) async throws(StoreError) -> Int64 {
        try await write(.update(key: key, value: value, expectedRevision: expectedRevision, decoded: nil)).revision
    }

    public func update(_ key: String, value: [UInt8], expectedRevision: Int64, decoded: JSONValue?) async throws(StoreError)
        -> Int64
    {
        try await write(.update(key: key, value: value, expectedRevision: expectedRevision, decoded: decoded)).revision
    }

    public func delete(_ key: String, expectedRevision: Int64?) async throws(StoreError) -> StoredValue {
        try await write(.delete(key: key, expectedRevision: expectedRevision)).value
    }

    /// Queues a write for the writer thread and waits until its batch commits.
    private func write(_ request: WriteRequest) async throws(StoreError) -> StoreEvent {
        let key: String
        switch request {
        case .create(let k, _, _), .update(let k, _, _, _), .delete(let k, _): key = k
        }
        guard !key.isEmpty else { throw StoreError(.invalid, message: "key must not be empty") }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<StoreEvent, StoreError>, Never>) in
            if !writer.queue.push(.write(request, continuation)) {
                continuation.resume(returning: .failure(StoreError(.unavailable, message: "store is closed")))
            }
        }
        return try result.get()
    }

    /// Forgets history at and before `revision`. Returns once the superseded rows are deleted; reads and
    /// watches from before `revision` fail from the moment the call begins to clean.
    public func compact(revision: Int64) async throws(StoreError) {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, StoreError>, Never>) in
            if !writer.queue.push(.compact(revision, continuation)) {
                continuation.resume(returning: .failure(StoreError(.unavailable, message: "store is closed")))
            }
        }
        try result.get()
    }

    /// Ends every watch, commits the writes already accepted, and closes the database. Later calls fail
    /// with `unavailable`.
    public func close() async {
        let wasClosed = closed.withLock { closed -> Bool in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        hub.close()
        await writer.stop()
        await checkpointer.stop()
        await readers.stop()
        lock.release()
        logger.info("closed SQLite store", metadata: ["path": "\(path)"])
    }

    deinit {
        // Dropped without close(): let the threads finish what they hold and exit.
        hub.close()
        writer.queue.close()
        readers.stopAccepting()
        checkpointer.stopAccepting()
    }

    private func checkOpen() throws(StoreError) {
        if closed.withLock({ $0 }) { throw StoreError(.unavailable, message: "store is closed") }
    }
}

/// An exclusive advisory lock on a file next to the database, so two processes never write one store:
/// the writer keeps its revision in memory and would be wrong if another process also wrote.
final class FileLock: Sendable {
    private let descriptor: Mutex<Int32>

    init(path: String) throws(StoreError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError(.unavailable, message: "cannot open lock file \(path): \(String(cString: strerror(errno)))")
        }
        // A child this process is spawning holds a copy of every descriptor until its exec closes them, the
        // lock of a store just closed here included: so a busy lock is tried again for a moment.
        var attempts = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            attempts += 1
            if code == EINTR || (code == EWOULDBLOCK && attempts < 100) {
                usleep(20_000)
                continue
            }
            let reason = code == EWOULDBLOCK ? "the store is in use by another process" : String(cString: strerror(code))
            Foundation.close(fd)
            throw StoreError(.unavailable, message: "cannot lock \(path): \(reason)")
        }
        descriptor = Mutex(fd)
    }

    /// Releases the lock (the kernel also does when the process dies, even by SIGKILL).
    func release() {
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            Foundation.close(fd)
            fd = -1
        }
    }

    deinit { release() }
}
