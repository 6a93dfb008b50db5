import CSQLite

/// `SQLITE_TRANSIENT`: SQLite copies bound bytes before the bind call returns. The C macro is a cast
/// of -1 that Swift does not import.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection with a cache of prepared statements.
///
/// Not thread-safe: each connection belongs to one thread (the writer or one reader) for its whole
/// life. It is `@unchecked Sendable` only so that `SQLiteStore.init` can open it and hand it over.
final class SQLiteConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    let path: String
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens `path` (creating it when `readOnly` is false) in multi-thread mode: SQLite does no locking of
    /// its own because no connection is shared.
    init(path: String, readOnly: Bool, busyTimeoutMilliseconds: Int32) throws(StoreError) {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            if let db { sqlite3_close_v2(db) }
            throw StoreError(.unavailable, message: "cannot open SQLite database \(path): \(message)")
        }
        handle = db
        self.path = path
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
        walPagesBox.deallocate()
    }

    /// Runs SQL text with no parameters and no rows wanted (pragmas, DDL, BEGIN/COMMIT).
    func execute(_ sql: String) throws(StoreError) {
        var error: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &error)
        if code != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_free(error)
            throw StoreError(.unavailable, message: "SQLite: \(message) (\(sql.prefix(60)))")
        }
    }

    /// The single integer a pragma or query returns (`nil` when it returns no row).
    func integer(_ sql: String) throws(StoreError) -> Int64? {
        let statement = try prepare(sql)
        defer { statement.reset() }
        return try statement.step() ? statement.int64(0) : nil
    }

    /// The single text a pragma returns.
    func text(_ sql: String) throws(StoreError) -> String? {
        let statement = try prepare(sql)
        defer { statement.reset() }
        return try statement.step() ? statement.text(0) : nil
    }

    /// A prepared statement for `sql`, compiled once per connection and reused.
    func prepare(_ sql: String) throws(StoreError) -> SQLiteStatement {
        if let cached = statements[sql] { return cached }
        var raw: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard code == SQLITE_OK, let raw else {
            throw StoreError(.unavailable, message: "SQLite: \(lastError) (preparing \(sql.prefix(60)))")
        }
        let statement = SQLiteStatement(raw, connection: self)
        statements[sql] = statement
        return statement
    }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    /// Whether a transaction is open (false after SQLite rolled one back by itself, e.g. on SQLITE_FULL).
    var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Pages in the WAL after this connection's last commit (kept by a WAL hook, which also turns off
    /// SQLite's automatic checkpoint on this connection: a `SQLiteCheckpointer` does it instead).
    var walPages: Int32 { walPagesBox.pointee }
    private let walPagesBox: UnsafeMutablePointer<Int32> = {
        let box = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        box.initialize(to: 0)
        return box
    }()

    /// Installs the WAL hook behind `walPages`.
    func trackWALSize() {
        sqlite3_wal_hook(handle, { context, _, _, pages in
            context?.assumingMemoryBound(to: Int32.self).pointee = pages
            return SQLITE_OK
        }, UnsafeMutableRawPointer(walPagesBox))
    }

    /// Backfills as much of the WAL into the database as readers allow, without blocking the writer.
    /// Returns false when another connection's checkpoint was running (that one does the work).
    @discardableResult
    func checkpointPassive() throws(StoreError) -> Bool {
        var logPages: Int32 = 0
        var backfilled: Int32 = 0
        let code = sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, &logPages, &backfilled)
        if code == SQLITE_BUSY { return false }
        guard code == SQLITE_OK else {
            throw StoreError(.unavailable, message: "SQLite checkpoint: \(lastError)")
        }
        return true
    }
}

/// A prepared statement. Parameters are 1-based, columns 0-based, as in SQLite.
final class SQLiteStatement {
    private let raw: OpaquePointer
    private unowned let connection: SQLiteConnection

    init(_ raw: OpaquePointer, connection: SQLiteConnection) {
        self.raw = raw
        self.connection = connection
    }

    deinit { sqlite3_finalize(raw) }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(raw, index, value)
    }

    /// Binds bytes as a BLOB: keys are stored and compared as bytes (memcmp order), never as text.
    func bind(_ index: Int32, blob value: [UInt8]) {
        value.withUnsafeBytes { bindBlob(index, $0) }
    }

    /// Binds a key's UTF-8 bytes as a BLOB.
    func bind(_ index: Int32, key: String) {
        var key = key
        key.withUTF8 { bindBlob(index, UnsafeRawBufferPointer($0)) }
    }

    private func bindBlob(_ index: Int32, _ bytes: UnsafeRawBufferPointer) {
        // A zero-length BLOB still needs a non-null pointer, or SQLite binds NULL.
        let empty: UInt8 = 0
        _ = withUnsafePointer(to: empty) { fallback in
            sqlite3_bind_blob(raw, index, bytes.baseAddress ?? UnsafeRawPointer(fallback), Int32(bytes.count), transient)
        }
    }

    func bind(_ index: Int32, text value: String) {
        sqlite3_bind_text(raw, index, value, -1, transient)
    }

    /// Steps once: true when a row is ready, false when done.
    func step() throws(StoreError) -> Bool {
        let code = sqlite3_step(raw)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let message = connection.lastError
            sqlite3_reset(raw)
            throw StoreError(.unavailable, message: "SQLite: \(message)")
        }
    }

    /// Runs a statement that returns no rows, then resets it.
    func run() throws(StoreError) {
        defer { reset() }
        _ = try step()
    }

    /// Resets for the next use and drops bound values, so no blob stays referenced.
    func reset() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(raw, column) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(raw, column) == SQLITE_NULL }

    func bytes(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(raw, column))
        guard count > 0, let pointer = sqlite3_column_blob(raw, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// A BLOB or TEXT column as a String (keys are written from Swift strings, so they are valid UTF-8).
    func string(_ column: Int32) -> String {
        let count = Int(sqlite3_column_bytes(raw, column))
        guard count > 0, let pointer = sqlite3_column_blob(raw, column) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(raw, column) else { return nil }
        return String(cString: pointer)
    }
}
