import CSQLite
import Foundation
import Logging

/// Copies the WAL back into the database file on its own thread and connection, so the writer never
/// stalls for a checkpoint's fsyncs. SQLite's automatic checkpoint runs inside the commit that crosses
/// the threshold; under load that froze every pending write for tens of milliseconds (the p99 of
/// creates). A passive checkpoint never blocks the writer: it backfills what it can, and once all of
/// the WAL is backfilled the writer's next commit starts the WAL over from the beginning.
final class SQLiteCheckpointer: @unchecked Sendable {
    private let connection: SQLiteConnection
    private let thresholdPages: Int32
    private let logger: Logger
    // Invariant: `requested` and `stopped` are read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var requested = false
    private var stopped = false
    let completion = ThreadCompletion(threads: 1)

    init(connection: SQLiteConnection, thresholdPages: Int32, logger: Logger) {
        self.connection = connection
        self.thresholdPages = max(1, thresholdPages)
        self.logger = logger
    }

    func start() {
        let thread = Thread { [self] in
            run()
            completion.threadExited()
        }
        thread.name = "skiff-sqlite-checkpoint"
        thread.start()
    }

    /// Called by the writer after each commit with the WAL's size in pages; wakes the thread once the
    /// WAL has grown past the threshold.
    func walGrew(to pages: Int32) {
        guard pages >= thresholdPages else { return }
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
        }
    }
}
