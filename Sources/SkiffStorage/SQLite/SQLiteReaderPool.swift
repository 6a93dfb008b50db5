import Foundation

/// A few threads, each with its own read-only connection, that run reads off the Swift cooperative pool.
/// WAL mode lets them read while the writer commits; each read sees the last commit before it began.
final class SQLiteReaderPool: Sendable {
    typealias Job = @Sendable (SQLiteConnection) -> Void

    private let queue = BlockingQueue<Job>()
    private let completion: ThreadCompletion

    /// Starts one thread per connection; the pool owns them from now on.
    init(connections: [SQLiteConnection]) {
        completion = ThreadCompletion(threads: connections.count)
        for (index, connection) in connections.enumerated() {
            let thread = Thread { [queue, completion] in
                while let job = queue.pop() { job(connection) }
                completion.threadExited()
            }
            thread.name = "skiff-sqlite-reader-\(index)"
            thread.start()
        }
    }

    /// Runs `body` on a reader thread and returns its result; `unavailable` once the pool is stopped.
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws(StoreError) -> T) async throws(StoreError) -> T {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, StoreError>, Never>) in
            let accepted = queue.push { connection in
                continuation.resume(returning: Result { () throws(StoreError) -> T in try body(connection) })
            }
            if !accepted { continuation.resume(returning: .failure(StoreError(.unavailable, message: "store is closed"))) }
        }
        return try result.get()
    }

    /// Lets queued reads finish, then ends the threads (closing their connections).
    func stop() async {
        queue.close()
        await completion.wait()
    }

    /// Refuses new reads; the threads end after the queued ones.
    func stopAccepting() { queue.close() }
}
