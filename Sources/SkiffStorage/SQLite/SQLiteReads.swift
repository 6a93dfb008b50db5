/// The store's read queries, run on a reader connection. Reads of more than one statement run in one
/// read transaction so they see one snapshot (one revision).
enum SQLiteReads {
    static func get(_ connection: SQLiteConnection, key: String) throws(StoreError) -> StoredValue? {
        let statement = try connection.prepare(
            "SELECT k.id, k.create_revision, k.value FROM current c JOIN kv k ON k.id = c.id WHERE c.key = ?1")
        defer { statement.reset() }
        statement.bind(1, key: key)
        guard try statement.step() else { return nil }
        return StoredValue(key: key, value: statement.bytes(2), createRevision: statement.int64(1),
                           modRevision: statement.int64(0))
    }

    static func count(_ connection: SQLiteConnection, range: KeyRange) throws(StoreError) -> Int64 {
        let statement = try connection.prepare(
            "SELECT count(*) FROM current WHERE key >= ?1" + (range.upper == nil ? "" : " AND key < ?2"))
        defer { statement.reset() }
        bind(range, to: statement)
        return try statement.step() ? statement.int64(0) : 0
    }

    static func list(_ connection: SQLiteConnection, prefix: String, startAfter: String?, limit: Int,
                     revision: Int64) throws(StoreError) -> StoreListResult {
        guard revision >= 0 else { throw StoreError(.invalid, message: "revision \(revision) is negative") }
        return try inReadTransaction(connection) { () throws(StoreError) -> StoreListResult in
            let current = try SQLiteSchema.currentRevision(connection)
            let at = revision == 0 ? current : revision
            if at != current {
                let compacted = try SQLiteSchema.meta(connection, SQLiteSchema.compactedKey)
                guard at >= compacted else {
                    throw StoreError(.compacted, compactedRevision: compacted,
                                     message: "required revision \(at) has been compacted")
                }
                guard at <= current else {
                    throw StoreError(.invalid, message: "required revision \(at) is a future revision")
                }
            }
            let range = KeyRange(prefix: prefix, startAfter: startAfter)
            if range.isEmpty { return StoreListResult(values: [], revision: at, hasMore: false, remainingCount: nil) }
            var values = try rows(connection, range: range, limit: limit > 0 ? limit + 1 : -1, at: at == current ? nil : at)
            guard limit > 0, values.count > limit else {
                return StoreListResult(values: values, revision: at, hasMore: false, remainingCount: nil)
            }
            values.removeLast(values.count - limit)
            let last = values[values.count - 1].key
            let remaining = try remainingCount(connection, range: range.after(last), at: at == current ? nil : at)
            return StoreListResult(values: values, revision: at, hasMore: true, remainingCount: remaining)
        }
    }

    /// Values in `range` by key, at the latest revision (`at` nil) or as they were at revision `at`.
    private static func rows(_ connection: SQLiteConnection, range: KeyRange, limit: Int, at: Int64?) throws(StoreError)
        -> [StoredValue]
    {
        let sql: String
        if at == nil {
            sql = """
                SELECT c.key, k.value, k.create_revision, k.id FROM current c JOIN kv k ON k.id = c.id
                WHERE c.key >= ?1\(range.upper == nil ? "" : " AND c.key < ?2") ORDER BY c.key LIMIT ?3
                """
        } else {
            // Each key's last change at or before the revision, unless that change deleted it.
            sql = """
                SELECT k.key, k.value, k.create_revision, k.id
                FROM (SELECT max(id) AS id FROM kv WHERE key >= ?1\(range.upper == nil ? "" : " AND key < ?2")
                      AND id <= ?4 GROUP BY key) m
                JOIN kv k ON k.id = m.id WHERE k.deleted = 0 ORDER BY k.key LIMIT ?3
                """
        }
        let statement = try connection.prepare(sql)
        defer { statement.reset() }
        bind(range, to: statement)
        statement.bind(3, Int64(limit))
        if let at { statement.bind(4, at) }
        var values: [StoredValue] = []
        if limit > 0 { values.reserveCapacity(min(limit, 10_000)) }
        while try statement.step() {
            values.append(StoredValue(key: statement.string(0), value: statement.bytes(1),
                                      createRevision: statement.int64(2), modRevision: statement.int64(3)))
        }
        return values
    }

    private static func remainingCount(_ connection: SQLiteConnection, range: KeyRange, at: Int64?) throws(StoreError)
        -> Int64
    {
        guard let at else { return try count(connection, range: range) }
        let statement = try connection.prepare("""
            SELECT count(*) FROM (SELECT max(id) AS id FROM kv WHERE key >= ?1\(range.upper == nil ? "" : " AND key < ?2")
            AND id <= ?4 GROUP BY key) m JOIN kv k ON k.id = m.id WHERE k.deleted = 0
            """)
        defer { statement.reset() }
        bind(range, to: statement)
        statement.bind(4, at)
        return try statement.step() ? statement.int64(0) : 0
    }

    /// The changes to keys in `range` after revision `after` up to `upTo`, at most `limit` of them, in
    /// revision order. Throws `compacted` when the history after `after` is no longer complete.
    static func history(_ connection: SQLiteConnection, range: KeyRange, after: Int64, upTo: Int64,
                        limit: Int) throws(StoreError) -> [StoreEvent] {
        try inReadTransaction(connection) { () throws(StoreError) -> [StoreEvent] in
            let compacted = try SQLiteSchema.meta(connection, SQLiteSchema.compactedKey)
            guard after >= compacted else {
                throw StoreError(.compacted, compactedRevision: compacted, message: "required revision \(after) has been compacted")
            }
            let statement = try connection.prepare("""
                SELECT k.id, k.key, k.created, k.deleted, k.create_revision, k.prev_revision, k.value, p.value
                FROM kv k LEFT JOIN kv p ON p.id = k.prev_revision AND k.created = 0 AND k.deleted = 0
                WHERE k.id > ?3 AND k.id <= ?4 AND k.key >= ?1\(range.upper == nil ? "" : " AND k.key < ?2")
                ORDER BY k.id LIMIT ?5
                """)
            defer { statement.reset() }
            bind(range, to: statement)
            statement.bind(3, after)
            statement.bind(4, upTo)
            statement.bind(5, Int64(limit))
            var events: [StoreEvent] = []
            while try statement.step() {
                events.append(event(statement))
            }
            return events
        }
    }

    /// The event a row of `kv` records (columns as selected by `history`).
    private static func event(_ row: SQLiteStatement) -> StoreEvent {
        let revision = row.int64(0)
        let key = row.string(1)
        let createRevision = row.int64(4)
        let previousRevision = row.int64(5)
        let value = StoredValue(key: key, value: row.bytes(6), createRevision: createRevision, modRevision: revision)
        if row.int64(2) != 0 { return StoreEvent(kind: .created, value: value, previous: nil) }
        if row.int64(3) != 0 {
            var previous = value
            previous.modRevision = previousRevision
            return StoreEvent(kind: .deleted, value: value, previous: previous)
        }
        let previous = row.isNull(7)
            ? nil
            : StoredValue(key: key, value: row.bytes(7), createRevision: createRevision, modRevision: previousRevision)
        return StoreEvent(kind: .updated, value: value, previous: previous)
    }

    private static func bind(_ range: KeyRange, to statement: SQLiteStatement) {
        statement.bind(1, blob: range.lower)
        if let upper = range.upper { statement.bind(2, blob: upper) }
    }

    /// Runs `body` in one read transaction, so its statements share a snapshot.
    private static func inReadTransaction<T>(_ connection: SQLiteConnection, _ body: () throws(StoreError) -> T)
        throws(StoreError) -> T
    {
        try connection.execute("BEGIN")
        do {
            let result = try body()
            try connection.execute("COMMIT")
            return result
        } catch {
            if connection.inTransaction { try? connection.execute("ROLLBACK") }
            throw error
        }
    }
}
