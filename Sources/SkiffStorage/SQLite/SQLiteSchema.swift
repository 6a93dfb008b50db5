/// The SQLite layout of the store: an append-only log of changes (one row per revision, like k3s' kine),
/// a table of each live key's latest revision, and a few named counters.
enum SQLiteSchema {
    /// `PRAGMA user_version` of the layout below; a newer file is refused rather than misread.
    static let version: Int64 = 1

    static let create = """
        CREATE TABLE IF NOT EXISTS kv (
            id INTEGER PRIMARY KEY,            -- the revision of this change
            key BLOB NOT NULL,                 -- compared as bytes
            created INTEGER NOT NULL,          -- 1 when this change created the key
            deleted INTEGER NOT NULL,          -- 1 when it removed the key; value is then the last value
            create_revision INTEGER NOT NULL,
            prev_revision INTEGER NOT NULL,    -- the key's change before this one, 0 for a creation
            value BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS kv_key_id ON kv (key, id);
        CREATE TABLE IF NOT EXISTS current (
            key BLOB PRIMARY KEY,              -- every live key
            id INTEGER NOT NULL                -- its latest change (a row of kv)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS meta (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0), ('compacted', 0), ('compact_done', 0);
        """

    /// The current revision when the last compaction began. The current revision is the larger of this
    /// and the newest row: compaction may delete the newest rows (deletions), so max(id) alone is not
    /// enough, and keeping this up to date on every commit would cost a page write per batch.
    static let revisionKey = "revision"
    /// Reads and watches from before this revision fail with `compacted`.
    static let compactedKey = "compacted"
    /// Superseded rows at or below this revision are gone; below `compacted`, cleaning was interrupted.
    static let compactDoneKey = "compact_done"

    /// Creates or checks the layout on the writer connection and sets its durable pragmas.
    static func prepare(_ connection: SQLiteConnection, synchronous: SQLiteStore.Synchronous) throws(StoreError) {
        let mode = try connection.text("PRAGMA journal_mode = WAL")
        guard mode?.lowercased() == "wal" else {
            throw StoreError(.unavailable, message: "SQLite database \(connection.path) cannot use WAL mode (got \(mode ?? "nothing"))")
        }
        try connection.execute("PRAGMA synchronous = \(synchronous == .full ? "FULL" : "NORMAL")")
        // After a checkpoint lets the WAL start over, cut the file back rather than keep its peak size.
        try connection.execute("PRAGMA journal_size_limit = \(64 * 1024 * 1024)")
        let found = try connection.integer("PRAGMA user_version") ?? 0
        guard found <= version else {
            throw StoreError(.unavailable, message: "SQLite database \(connection.path) has layout version \(found); "
                + "this build knows version \(version)")
        }
        try connection.execute("BEGIN IMMEDIATE")
        do {
            try connection.execute(create)
            try connection.execute("PRAGMA user_version = \(version)")
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// The store's current revision, as of the connection's snapshot.
    static func currentRevision(_ connection: SQLiteConnection) throws(StoreError) -> Int64 {
        try connection.integer("""
            SELECT max(ifnull((SELECT max(id) FROM kv), 0), ifnull((SELECT value FROM meta WHERE name = 'revision'), 0))
            """) ?? 0
    }

    /// A named counter from `meta`.
    static func meta(_ connection: SQLiteConnection, _ name: String) throws(StoreError) -> Int64 {
        let statement = try connection.prepare("SELECT value FROM meta WHERE name = ?1")
        defer { statement.reset() }
        statement.bind(1, text: name)
        return try statement.step() ? statement.int64(0) : 0
    }

    static func setMeta(_ connection: SQLiteConnection, _ name: String, _ value: Int64) throws(StoreError) {
        let statement = try connection.prepare("UPDATE meta SET value = ?2 WHERE name = ?1")
        statement.bind(1, text: name)
        statement.bind(2, value)
        try statement.run()
    }
}
