public import Logging
import SkiffJSON
import Synchronization

/// The store on a real etcd v3 cluster, through its JSON gateway (`/v3/kv/range`, `/v3/kv/txn`,
/// `/v3/watch`, `/v3/kv/compaction`): etcd's revisions are the store's revisions, so several API servers
/// can share one cluster. Compare-and-swap is a txn comparing `mod_revision`; create compares
/// `create_revision` with 0.
public final class EtcdStore: Store {
    let client: EtcdClient
    let logger: Logger
    let watchBuffer: Int

    struct State {
        /// The highest compacted revision seen (etcd cannot be asked for it directly).
        var knownCompacted: Int64 = 0
        var watchTasks: [UInt64: Task<Void, Never>] = [:]
        var watchContinuations: [UInt64: AsyncThrowingStream<StoreEvent, any Error>.Continuation] = [:]
        var nextWatch: UInt64 = 0
        var closed = false
    }

    let state = Mutex(State())

    /// Connects lazily to `etcd://host:port[,host:port...]` (plain HTTP). Throws `invalid` for a malformed URL.
    public init(url: String, watchBuffer: Int = 100_000, logger: Logger) throws(StoreError) {
        client = EtcdClient(endpoints: try EtcdClient.endpoints(from: url), logger: logger)
        self.logger = logger
        self.watchBuffer = watchBuffer
    }

    /// A key that never exists, for requests that only want a header (the current revision).
    static let probeKey: [UInt8] = [0]

    public func currentRevision() async throws(StoreError) -> Int64 {
        let response = try await call("/v3/kv/range", ["key": EtcdCodec.base64(Self.probeKey), "limit": EtcdCodec.int(1)])
        return try EtcdCodec.headerRevision(response)
    }

    public func get(_ key: String) async throws(StoreError) -> StoredValue? {
        if key.isEmpty { return nil }
        let response = try await call("/v3/kv/range", ["key": EtcdCodec.base64(key)])
        return try EtcdCodec.kvs(response).first
    }

    public func count(prefix: String) async throws(StoreError) -> Int64 {
        let range = KeyRange(prefix: prefix)
        var request = Self.rangeRequest(range)
        request["count_only"] = true
        return try EtcdCodec.int64(try await call("/v3/kv/range", request)["count"])
    }

    public func list(prefix: String, startAfter: String?, limit: Int, revision: Int64) async throws(StoreError)
        -> StoreListResult
    {
        guard revision >= 0 else { throw StoreError(.invalid, message: "revision \(revision) is negative") }
        let range = KeyRange(prefix: prefix, startAfter: startAfter)
        if range.isEmpty {
            let at = revision == 0 ? try await currentRevision() : revision
            return StoreListResult(values: [], revision: at, hasMore: false)
        }
        var request = Self.rangeRequest(range)
        if limit > 0 { request["limit"] = EtcdCodec.int(Int64(limit)) }
        if revision > 0 { request["revision"] = EtcdCodec.int(revision) }
        let response: JSONValue
        do {
            response = try await call("/v3/kv/range", request)
        } catch where error.isCompacted {
            throw StoreError(.compacted, compactedRevision: try? await compactedRevision(),
                             message: "required revision \(revision) has been compacted")
        }
        let values = try EtcdCodec.kvs(response)
        let more = response["more"]?.boolValue ?? false
        let total = try EtcdCodec.int64(response["count"])
        return StoreListResult(values: values, revision: revision > 0 ? revision : try EtcdCodec.headerRevision(response),
                               hasMore: more, remainingCount: more ? total - Int64(values.count) : nil)
    }

    public func create(_ key: String, value: [UInt8]) async throws(StoreError) -> Int64 {
        try Self.checkKey(key)
        let response = try await call("/v3/kv/txn", [
            "compare": [Self.compare(key, target: "CREATE", field: "create_revision", 0, "EQUAL")],
            "success": [["request_put": ["key": EtcdCodec.base64(key), "value": EtcdCodec.base64(value)]]],
        ], idempotent: false)
        guard response["succeeded"]?.boolValue == true else {
            throw StoreError(.keyExists, key: key, message: "key \(key) already exists")
        }
        return try EtcdCodec.headerRevision(response)
    }

    public func update(_ key: String, value: [UInt8], expectedRevision: Int64) async throws(StoreError) -> Int64 {
        try Self.checkKey(key)
        let response = try await call("/v3/kv/txn", [
            "compare": [
                Self.compare(key, target: "CREATE", field: "create_revision", 0, "GREATER"),
                Self.compare(key, target: "MOD", field: "mod_revision", expectedRevision, "EQUAL"),
            ],
            "success": [["request_put": ["key": EtcdCodec.base64(key), "value": EtcdCodec.base64(value)]]],
            "failure": [["request_range": ["key": EtcdCodec.base64(key)]]],
        ], idempotent: false)
        guard response["succeeded"]?.boolValue == true else {
            throw try Self.refusal(response, key: key, expected: expectedRevision)
        }
        return try EtcdCodec.headerRevision(response)
    }

    public func delete(_ key: String, expectedRevision: Int64?) async throws(StoreError) -> StoredValue {
        try Self.checkKey(key)
        var compares: [JSONValue] = [Self.compare(key, target: "CREATE", field: "create_revision", 0, "GREATER")]
        if let expectedRevision {
            compares.append(Self.compare(key, target: "MOD", field: "mod_revision", expectedRevision, "EQUAL"))
        }
        let response = try await call("/v3/kv/txn", [
            "compare": .array(compares),
            "success": [["request_delete_range": ["key": EtcdCodec.base64(key), "prev_kv": true]]],
            "failure": [["request_range": ["key": EtcdCodec.base64(key)]]],
        ], idempotent: false)
        guard response["succeeded"]?.boolValue == true else {
            throw try Self.refusal(response, key: key, expected: expectedRevision ?? 0)
        }
        let deleted = response["responses"]?[0]?["response_delete_range"]
        guard let previous = deleted?["prev_kvs"]?[0] else {
            throw EtcdCodec.malformed("a delete that succeeded returned no previous value")
        }
        var last = try EtcdCodec.storedValue(previous)
        last.modRevision = try EtcdCodec.headerRevision(response)
        return last
    }

    /// Compacts etcd's history (logically; etcd frees the space in the background). Compacting to a
    /// revision already compacted does nothing.
    public func compact(revision: Int64) async throws(StoreError) {
        guard revision > 0 else { return }
        do {
            _ = try await call("/v3/kv/compaction", ["revision": EtcdCodec.int(revision)], idempotent: true)
        } catch where error.isCompacted {
            // Already compacted at or past `revision`.
        } catch where error.code == .invalid {
            throw StoreError(.invalid, message: "cannot compact to future revision \(revision)")
        }
        state.withLock { $0.knownCompacted = max($0.knownCompacted, revision) }
    }

    /// etcd has no call that reports its compacted revision, but a read at revision r fails exactly when
    /// r is below it: this finds it by bisection above the highest value seen so far.
    public func compactedRevision() async throws(StoreError) -> Int64 {
        let known = state.withLock { $0.knownCompacted }
        var good = try await currentRevision()
        if good <= 1 { return known }
        if try await readable(at: max(known, 1)) { return known }
        var bad = max(known, 1)
        while good - bad > 1 {
            let middle = bad + (good - bad) / 2
            if try await readable(at: middle) { good = middle } else { bad = middle }
        }
        state.withLock { $0.knownCompacted = max($0.knownCompacted, good) }
        return good
    }

    /// Whether history at `revision` can still be read.
    func readable(at revision: Int64) async throws(StoreError) -> Bool {
        do {
            _ = try await call("/v3/kv/range", ["key": EtcdCodec.base64(Self.probeKey), "revision": EtcdCodec.int(revision)])
            return true
        } catch where error.isCompacted {
            return false
        } catch where error.code == .invalid {
            return true  // a future revision is not a compacted one
        }
    }

    /// Ends every watch and closes the connections.
    public func close() async {
        let (tasks, continuations) = state.withLock { state in
            state.closed = true
            defer {
                state.watchTasks = [:]
                state.watchContinuations = [:]
            }
            return (Array(state.watchTasks.values), Array(state.watchContinuations.values))
        }
        for task in tasks { task.cancel() }
        for continuation in continuations { continuation.finish() }
        for task in tasks { await task.value }
        await client.shutdown()
    }

    // MARK: Helpers

    func call(_ path: String, _ body: JSONValue, idempotent: Bool = true) async throws(StoreError) -> JSONValue {
        if state.withLock({ $0.closed }) { throw StoreError(.unavailable, message: "store is closed") }
        return try await client.call(path, body, idempotent: idempotent)
    }

    static func checkKey(_ key: String) throws(StoreError) {
        guard !key.isEmpty else { throw StoreError(.invalid, message: "key must not be empty") }
    }

    /// A range over `range`: etcd's `range_end` of "\0" means "no upper bound".
    static func rangeRequest(_ range: KeyRange) -> JSONValue {
        // etcd refuses an empty key; the zero byte is the smallest key there can be.
        let lower = range.lower.isEmpty ? [0] : range.lower
        return ["key": EtcdCodec.base64(lower), "range_end": EtcdCodec.base64(range.upper ?? [0])]
    }

    static func compare(_ key: String, target: String, field: String, _ value: Int64, _ result: String) -> JSONValue {
        ["key": EtcdCodec.base64(key), "target": .string(target), field: EtcdCodec.int(value),
         "result": .string(result)]
    }

    /// Why a CAS txn failed: its failure branch read the key.
    static func refusal(_ response: JSONValue, key: String, expected: Int64) throws(StoreError) -> StoreError {
        let range = response["responses"]?[0]?["response_range"] ?? [:]
        guard let current = try EtcdCodec.kvs(range).first else {
            return StoreError(.keyNotFound, key: key, message: "key \(key) not found")
        }
        return StoreError(.conflict, key: key, current: current,
                          message: "key \(key) is at revision \(current.modRevision), not \(expected)")
    }
}
