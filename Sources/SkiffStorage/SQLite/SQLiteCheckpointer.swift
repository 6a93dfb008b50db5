import CSQLite
import Foundation
import Logging
import Synchronization

/// Copies the WAL back into the database file mostly on its own thread and connection, so the writer
/// rarely stalls for a checkpoint's fsyncs.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses the threshold and copies the whole
/// WAL, freezing every pending write for its two fsyncs and all the page copies (the p99 of creates under
/// load). A checkpoint on another thread never blocks the writer, but alone it never lets the WAL start
/// over: the writer keeps appending while it runs, and SQLite restarts the WAL only once every frame is
/// copied. So the work is split: this thread copies the bulk (PASSIVE), and after each pass the writer
/// finishes the few frames appended meanwhile itself (`finishAfterPass`), which lets its next commit
/// start the WAL over.
final class SQLiteCheckpointer: @unchecked Sendable {
    private let connection: SQLiteConnection
    let thresholdPages: Int32
    private let logger: Logger
    // Invariant: `requested` and `stopped` are read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var requested = false
    private var stopped = false
    /// Background passes finished so far (read by the writer without the condition's lock).
    private let passes = Atomic<Int>(0)
    let completion = ThreadCompletion(threads: 1)

    init(connection: SQLiteConnection, thresholdPages: Int32, logger: Logger) throws(StoreError) {
        self.connection = connection
        self.thresholdPages = max(1, thresholdPages)
        self.logger = logger
        // A connection learns that the file is in WAL mode only when it first reads it; until then a
        // checkpoint on it silently does nothing.
        _ = try connection.text("PRAGMA journal_mode")
    }

    func start() {
        let thread = Thread { [self] in
            run()
            completion.threadExited()
        }
        thread.name = "skiff-sqlite-checkpoint"
        thread.start()
    }

    /// The number of background passes finished so far.
    var completedPasses: Int { passes.load(ordering: .acquiring) }

    /// Wakes the thread for a pass (a no-op while one is already requested).
    func request() {
        condition.lock()
        requested = true
        condition.signal()
        condition.unlock()
    }

    /// Stops the thread after the checkpoint in progress (the last connection to close checkpoints the rest).
    func stop() async {
        stopAccepting()
        await completion.wait()
    }

    /// Tells the thread to exit without waiting for it.
    func stopAccepting() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while !requested && !stopped { condition.wait() }
            let stop = stopped
            requested = false
            condition.unlock()
            if stop { return }
            do {
                try connection.checkpointPassive()
            } catch {
                logger.warning("SQLite checkpoint failed; the next one retries", metadata: ["error": "\(error.message)"])
                Thread.sleep(forTimeInterval: 0.1)
            }
            passes.add(1, ordering: .releasing)
        }
    }
}

/// The writer's side of checkpointing: after each commit, asks for a background pass once the WAL passes
/// the threshold, and once that pass is done finishes its tail inline, so the next commit starts the WAL
/// over. Only one pass is asked for at a time, so the writer's finishing step never meets a running one.
struct CheckpointPolicy {
    let checkpointer: SQLiteCheckpointer
    /// The number of passes completed when the outstanding one was asked for; nil when none is.
    private var requestedAfter: Int?

    init(checkpointer: SQLiteCheckpointer) { self.checkpointer = checkpointer }

    /// Called on the writer thread after a commit, with the WAL's size in pages.
    mutating func afterCommit(walPages pages: Int32, connection: SQLiteConnection, logger: Logger) {
        guard pages >= checkpointer.thresholdPages else { return }
        // A starved background thread (a busy machine) must not let the WAL grow without bound: past four
        // times the threshold the writer copies the pages back itself.
        let pastHardLimit = Int(pages) >= Int(checkpointer.thresholdPages) * 4
        guard let requestedAfter, !pastHardLimit else {
            if pastHardLimit {
                do {
                    if try connection.checkpointPassive() { self.requestedAfter = nil }
                } catch {
                    logger.warning("SQLite checkpoint failed; the next one retries", metadata: ["error": "\(error.message)"])
                }
                return
            }
            self.requestedAfter = checkpointer.completedPasses
            checkpointer.request()
            return
        }
        guard checkpointer.completedPasses > requestedAfter else { return }
        do {
            if try connection.checkpointPassive() { self.requestedAfter = nil }
        } catch {
            logger.warning("SQLite checkpoint failed; the next one retries", metadata: ["error": "\(error.message)"])
            self.requestedAfter = nil
        }
    }
}
