import SkiffAPI
import Foundation
import Logging

/// One write a caller waits for.
enum WriteRequest: Sendable {
    case create(key: String, value: [UInt8], decoded: JSONValue?)
    case update(key: String, value: [UInt8], expectedRevision: Int64, decoded: JSONValue?)
    case delete(key: String, expectedRevision: Int64?)
}

/// Work for the writer thread.
enum WriterJob: Sendable {
    case write(WriteRequest, CheckedContinuation<Result<StoreEvent, StoreError>, Never>)
    case compact(Int64, CheckedContinuation<Result<Void, StoreError>, Never>)
}

/// The only thread that writes the database. It drains the queue of pending writes and commits them in
/// one transaction (group commit), then publishes the batch to watchers and resumes each caller. Between
/// batches it cleans compacted history a slice at a time, so writers never wait long behind it.
///
/// Everything but `queue` is touched only on the writer thread.
final class SQLiteWriter: @unchecked Sendable {
    let queue = BlockingQueue<WriterJob>()
    private let connection: SQLiteConnection
    private let hub: WatchHub
    private let logger: Logger
    private let maxBatch: Int
    private let compactionSlice: Int64
    private var checkpoints: CheckpointPolicy

    /// The last committed revision (the writer's own copy of `hub.revision`).
    private var revision: Int64
    private var compacted: Int64
    /// Superseded rows at or below this revision are already deleted.
    private var compactDone: Int64
    private var compactionWaiters: [CheckedContinuation<Result<Void, StoreError>, Never>] = []
    /// After a failed cleaning slice, the next one waits until then (a full disk must not spin the thread).
    private var compactionRetry: Date?
    let completion = ThreadCompletion(threads: 1)

    init(connection: SQLiteConnection, hub: WatchHub, revision: Int64, compacted: Int64, compactDone: Int64,
         maxBatch: Int, compactionSlice: Int64, checkpointer: SQLiteCheckpointer, logger: Logger) {
        self.connection = connection
        self.hub = hub
        self.revision = revision
        self.compacted = compacted
        self.compactDone = compactDone
        self.maxBatch = maxBatch
        self.compactionSlice = compactionSlice
        self.checkpoints = CheckpointPolicy(checkpointer: checkpointer)
        self.logger = logger
    }

    func start() {
        let thread = Thread { [self] in
            run()
            completion.threadExited()
        }
        thread.name = "skiff-sqlite-writer"
        thread.start()
    }

    /// Refuses new jobs and returns once the writer has committed what it had accepted and exited.
    func stop() async {
        queue.close()
        await completion.wait()
    }

    private var compactionPending: Bool { compactDone < compacted }

    /// How long to wait for writes: not at all while cleaning is due.
    private var waitDeadline: Date? {
        guard compactionPending else { return .distantFuture }
        return compactionRetry
    }

    /// When the last batch committed and how many writes it had (for lingering under load).
    private var lastCommit = ContinuousClock.now
    private var lastBatchSize = 0
    /// Batches to commit without lingering, after a linger that gathered (almost) nothing: when every
    /// caller is already waiting in the batch (a closed loop), waiting longer only adds latency.
    private var lingerSkips = 0

    /// Under steady load a batch waits this long for company before it commits: every commit writes a few
    /// whole pages to the WAL however few rows it carries, so fewer, larger commits mean less writer time
    /// and fewer checkpoints (each stalls the writer for their fsyncs). Measured at 6,000 creates/s: a
    /// third of the commits, 40% less writer time, half the checkpoints. A write arriving after a quiet
    /// spell, or from a lone caller writing one thing after another, commits at once.
    static let linger: TimeInterval = 0.000_25
    static let lingerBelow = 64

    private func run() {
        while var jobs = queue.popAll(limit: maxBatch, waitUntil: waitDeadline) {
            if lingerSkips > 0 {
                lingerSkips -= 1
            } else if !jobs.isEmpty, jobs.count < Self.lingerBelow, lastBatchSize > 1,
                      ContinuousClock.now - lastCommit < .milliseconds(2)
            {
                Thread.sleep(forTimeInterval: Self.linger)
                let more = queue.popAll(limit: maxBatch - jobs.count, waitUntil: nil) ?? []
                if more.count < 2 { lingerSkips = 16 }
                jobs += more
            }
            var writes: [(WriteRequest, CheckedContinuation<Result<StoreEvent, StoreError>, Never>)] = []
            for job in jobs {
                switch job {
                case .write(let request, let continuation):
                    writes.append((request, continuation))
                case .compact(let target, let continuation):
                    // Writes queued before the request commit first, so "current revision" means what it says.
                    commit(writes)
                    writes.removeAll()
                    startCompaction(to: target, continuation: continuation)
                }
            }
            commit(writes)
            if compactionPending, compactionRetry.map({ $0 <= Date() }) ?? true { compactSlice() }
        }
        // Logical compaction is already durable; the rest of the cleaning resumes when the file is reopened.
        for waiter in compactionWaiters { waiter.resume(returning: .success(())) }
        compactionWaiters.removeAll()
    }

    // MARK: Group commit

    private func commit(_ writes: [(WriteRequest, CheckedContinuation<Result<StoreEvent, StoreError>, Never>)]) {
        guard !writes.isEmpty else { return }
        var results: [Result<StoreEvent, StoreError>] = []
        results.reserveCapacity(writes.count)
        var events: [StoreEvent] = []
        var next = revision
        do {
            try connection.execute("BEGIN")
            for (request, _) in writes {
                let result = try apply(request, revision: next + 1)
                if case .success(let event) = result {
                    next += 1
                    events.append(event)
                }
                results.append(result)
            }
            try connection.execute("COMMIT")
        } catch {
            if connection.inTransaction { try? connection.execute("ROLLBACK") }
            logger.error("SQLite write batch failed; nothing in it was stored",
                         metadata: ["error": "\(error.message)", "writes": "\(writes.count)"])
            for (_, continuation) in writes { continuation.resume(returning: .failure(error)) }
            return
        }
        revision = next
        lastCommit = .now
        lastBatchSize = writes.count
        hub.publish(events, revision: next)
        for (index, (_, continuation)) in writes.enumerated() { continuation.resume(returning: results[index]) }
        checkpoints.afterCommit(walPages: connection.walPages, connection: connection, logger: logger)
    }

    /// Applies one write inside the open transaction at `revision` (when it succeeds). Throws only for
    /// SQLite failures, which abort the whole batch; a refused write is a `.failure` result.
    private func apply(_ request: WriteRequest, revision: Int64) throws(StoreError) -> Result<StoreEvent, StoreError> {
        switch request {
        case .create(let key, let value, let decoded):
            if try exists(key) { return .failure(StoreError(.keyExists, key: key, message: "key \(key) already exists")) }
            try insert(key: key, revision: revision, created: true, deleted: false, createRevision: revision,
                       previous: 0, value: value)
            let current = try connection.prepare("INSERT INTO current (key, id) VALUES (?1, ?2)")
            current.bind(1, key: key)
            current.bind(2, revision)
            try current.run()
            let stored = StoredValue(key: key, value: value, createRevision: revision, modRevision: revision, decoded: decoded)
            return .success(StoreEvent(kind: .created, value: stored, previous: nil))

        case .update(let key, let value, let expectedRevision, let decoded):
            guard let current = try lookup(key) else {
                return .failure(StoreError(.keyNotFound, key: key, message: "key \(key) not found"))
            }
            guard current.modRevision == expectedRevision else { return .failure(Self.conflict(current, expectedRevision)) }
            try insert(key: key, revision: revision, created: false, deleted: false, createRevision: current.createRevision,
                       previous: current.modRevision, value: value)
            let move = try connection.prepare("UPDATE current SET id = ?2 WHERE key = ?1")
            move.bind(1, key: key)
            move.bind(2, revision)
            try move.run()
            let stored = StoredValue(key: key, value: value, createRevision: current.createRevision, modRevision: revision,
                                     decoded: decoded)
            return .success(StoreEvent(kind: .updated, value: stored, previous: current))

        case .delete(let key, let expectedRevision):
            guard let current = try lookup(key) else {
                return .failure(StoreError(.keyNotFound, key: key, message: "key \(key) not found"))
            }
            if let expectedRevision, current.modRevision != expectedRevision {
                return .failure(Self.conflict(current, expectedRevision))
            }
            try insert(key: key, revision: revision, created: false, deleted: true, createRevision: current.createRevision,
                       previous: current.modRevision, value: current.value)
            let remove = try connection.prepare("DELETE FROM current WHERE key = ?1")
            remove.bind(1, key: key)
            try remove.run()
            var last = current
            last.modRevision = revision
            return .success(StoreEvent(kind: .deleted, value: last, previous: current))
        }
    }

    private static func conflict(_ current: StoredValue, _ expected: Int64) -> StoreError {
        StoreError(.conflict, key: current.key, current: current,
                   message: "key \(current.key) is at revision \(current.modRevision), not \(expected)")
    }

    private func exists(_ key: String) throws(StoreError) -> Bool {
        let statement = try connection.prepare("SELECT 1 FROM current WHERE key = ?1")
        defer { statement.reset() }
        statement.bind(1, key: key)
        return try statement.step()
    }

    /// The key's value as of the open transaction (which includes earlier writes of this batch).
    private func lookup(_ key: String) throws(StoreError) -> StoredValue? {
        let statement = try connection.prepare(
            "SELECT k.id, k.create_revision, k.value FROM current c JOIN kv k ON k.id = c.id WHERE c.key = ?1")
        defer { statement.reset() }
        statement.bind(1, key: key)
        guard try statement.step() else { return nil }
        return StoredValue(key: key, value: statement.bytes(2), createRevision: statement.int64(1),
                           modRevision: statement.int64(0))
    }

    private func insert(key: String, revision: Int64, created: Bool, deleted: Bool, createRevision: Int64,
                        previous: Int64, value: [UInt8]) throws(StoreError) {
        let statement = try connection.prepare("""
            INSERT INTO kv (id, key, created, deleted, create_revision, prev_revision, value)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            """)
        statement.bind(1, revision)
        statement.bind(2, key: key)
        statement.bind(3, created ? 1 : 0)
        statement.bind(4, deleted ? 1 : 0)
        statement.bind(5, createRevision)
        statement.bind(6, previous)
        statement.bind(7, blob: value)
        try statement.run()
    }

    // MARK: Compaction

    /// Records the new compacted revision (from then on reads before it fail) and queues the cleaning.
    private func startCompaction(to target: Int64, continuation: CheckedContinuation<Result<Void, StoreError>, Never>) {
        guard target <= revision else {
            continuation.resume(returning: .failure(StoreError(.invalid, message: "cannot compact to future revision \(target)")))
            return
        }
        guard target > compacted else {
            continuation.resume(returning: .success(()))
            return
        }
        do {
            try connection.execute("BEGIN")
            try SQLiteSchema.setMeta(connection, SQLiteSchema.compactedKey, target)
            try SQLiteSchema.setMeta(connection, SQLiteSchema.revisionKey, revision)
            try connection.execute("COMMIT")
        } catch {
            if connection.inTransaction { try? connection.execute("ROLLBACK") }
            continuation.resume(returning: .failure(error))
            return
        }
        compacted = target
        hub.setCompacted(target)
        compactionWaiters.append(continuation)
    }

    /// Deletes the rows that changes in the next slice of revisions superseded (the rows they name as
    /// previous) and the deletion rows of that slice, in one short transaction.
    private func compactSlice() {
        let low = compactDone
        let high = min(compacted, compactDone + compactionSlice)
        do {
            try connection.execute("BEGIN")
            let superseded = try connection.prepare("""
                DELETE FROM kv WHERE id IN (SELECT prev_revision FROM kv WHERE id > ?1 AND id <= ?2 AND prev_revision > 0)
                """)
            superseded.bind(1, low)
            superseded.bind(2, high)
            try superseded.run()
            let deletions = try connection.prepare("DELETE FROM kv WHERE id > ?1 AND id <= ?2 AND deleted = 1")
            deletions.bind(1, low)
            deletions.bind(2, high)
            try deletions.run()
            try SQLiteSchema.setMeta(connection, SQLiteSchema.compactDoneKey, high)
            try connection.execute("COMMIT")
        } catch {
            if connection.inTransaction { try? connection.execute("ROLLBACK") }
            logger.error("SQLite compaction slice failed; will retry", metadata: ["error": "\(error.message)"])
            for waiter in compactionWaiters { waiter.resume(returning: .failure(error)) }
            compactionWaiters.removeAll()
            // compactDone stays: the slice is retried a little later.
            compactionRetry = Date(timeIntervalSinceNow: 1)
            return
        }
        compactionRetry = nil
        checkpoints.afterCommit(walPages: connection.walPages, connection: connection, logger: logger)
        compactDone = high
        if !compactionPending {
            for waiter in compactionWaiters { waiter.resume(returning: .success(())) }
            compactionWaiters.removeAll()
        }
    }
}
