import CSQLite
import Foundation
import Synchronization

/// Copies the WAL back into the database file mostly on a thread of its own, so the writer pays little.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold: it copies the whole
/// WAL and fsyncs twice while the writer (and every caller waiting on it) stalls. Here the writer's WAL
/// hook wakes this thread at `threshold` pages, and its PASSIVE checkpoint copies and syncs beside the
/// writer and readers. Under steady writes such a checkpoint never quite catches up, and the WAL only
/// starts over once one has, so at `resetPages` the writer runs a checkpoint itself between two batches:
/// it copies just what came after the background pass, and the next transaction rewinds the WAL.
final class SQLiteCheckpointer: Sendable {
    /// WAL pages (4 KiB each) after which the background checkpoint starts.
    let threshold: Int32
    /// WAL pages after which the writer catches the checkpoint up itself.
    let resetPages: Int32

    private let requests = BlockingQueue<Int32>()
    private let completion = ThreadCompletion(threads: 1)
    /// Whether a checkpoint is queued or running (no point queueing another).
    private let busy = Atomic(false)

    init(connection: SQLiteConnection, threshold: Int32, resetPages: Int32) {
        self.threshold = threshold
        self.resetPages = resetPages
        let thread = Thread { [self] in
            while requests.pop() != nil {
                connection.checkpointPassive()
                busy.store(false, ordering: .releasing)
            }
            completion.threadExited()
        }
        thread.name = "skiff-sqlite-checkpoint"
        thread.start()
    }

    /// Called on the writer thread after a commit left `pages` pages in the WAL.
    func walGrew(to pages: Int32) {
        guard pages >= threshold else { return }
        if busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            _ = requests.push(pages)
        }
    }

    func stop() async {
        requests.close()
        await completion.wait()
    }

    /// Installs the hook on the writer's connection (which turns SQLite's own automatic checkpoint off).
    func install(on writer: SQLiteConnection) {
        writer.setWALHook(self)
    }
}

extension SQLiteConnection {
    /// Routes this connection's WAL hook to `checkpointer`. The checkpointer must outlive the connection's
    /// use (the store keeps both until close).
    func setWALHook(_ checkpointer: SQLiteCheckpointer) {
        let context = Unmanaged.passUnretained(checkpointer).toOpaque()
        sqlite3_wal_hook(handle, { context, connection, _, pages in
            guard let context else { return SQLITE_OK }
            let checkpointer = Unmanaged<SQLiteCheckpointer>.fromOpaque(context).takeUnretainedValue()
            // On the writer thread, between transactions: nothing else writes, so this one catches up. It
            // returns at once (SQLITE_BUSY) while the background pass holds the checkpoint lock.
            if pages >= checkpointer.resetPages, let connection,
               sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil) == SQLITE_OK
            {
                return SQLITE_OK
            }
            checkpointer.walGrew(to: pages)
            return SQLITE_OK
        }, context)
    }
}
