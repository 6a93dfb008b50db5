public import SkiffAPI

/// One stored key at one revision.
public struct StoredValue: Sendable, Equatable {
    /// The full key, e.g. `/registry/configmaps/default/cfg`.
    public var key: String
    /// The value bytes (the API server stores JSON without `metadata.resourceVersion`).
    public var value: [UInt8]
    /// Revision at which this key was created (etcd's `create_revision`).
    public var createRevision: Int64
    /// Revision of this key's last change: the object's `resourceVersion`.
    public var modRevision: Int64
    /// The value as the writer in this process had already decoded it, when a backend passes that on to
    /// its watchers; never stored, and `nil` from any other source. Lets the API server's watch cache skip
    /// decoding its own writes. Not part of equality.
    public var decoded: JSONValue?

    public init(key: String, value: [UInt8], createRevision: Int64, modRevision: Int64, decoded: JSONValue? = nil) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.decoded = decoded
    }

    public static func == (lhs: StoredValue, rhs: StoredValue) -> Bool {
        lhs.key == rhs.key && lhs.value == rhs.value && lhs.createRevision == rhs.createRevision
            && lhs.modRevision == rhs.modRevision
    }
}

/// A change to one key, as watch delivers it.
public struct StoreEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The key was created (no previous value).
        case created
        /// The key existed and was changed.
        case updated
        /// The key was removed; `value` holds its last value.
        case deleted
    }

    public var kind: Kind
    /// For created/updated: the new value at `revision`. For deleted: the last value, with `modRevision` = the
    /// deletion's revision (as the Kubernetes watch reports a deleted object's resourceVersion).
    public var value: StoredValue
    /// The value before this change (updated and deleted only), when the backend knows it.
    public var previous: StoredValue?
    /// The revision of this change.
    public var revision: Int64 { value.modRevision }

    public init(kind: Kind, value: StoredValue, previous: StoredValue?) {
        self.kind = kind
        self.value = value
        self.previous = previous
    }
}

/// A page of a list: the values at one revision.
public struct StoreListResult: Sendable {
    /// The matching values, ordered by key.
    public var values: [StoredValue]
    /// The revision the list reflects (the store's current revision when read at the latest revision).
    public var revision: Int64
    /// Whether more keys follow the last returned one (only when a limit was given).
    public var hasMore: Bool
    /// How many keys remain after this page when `hasMore`, if the backend counts them cheaply.
    public var remainingCount: Int64?

    public init(values: [StoredValue], revision: Int64, hasMore: Bool, remainingCount: Int64? = nil) {
        self.values = values
        self.revision = revision
        self.hasMore = hasMore
        self.remainingCount = remainingCount
    }
}

/// A revisioned key-value store modelled on etcd v3: one global revision that every write
/// increments, compare-and-swap updates on a key's `modRevision`, and watch from any revision
/// not yet compacted.
///
/// Keys are compared as bytes. Every method is safe to call concurrently; writes are linearizable.
public protocol Store: Sendable {
    /// The latest revision (0 for an empty store).
    func currentRevision() async throws(StoreError) -> Int64

    /// The value of `key` at the latest revision, or `nil`.
    func get(_ key: String) async throws(StoreError) -> StoredValue?

    /// Values whose keys start with `prefix`, ordered by key, starting after `startAfter` when given,
    /// at most `limit` of them when `limit > 0`. When `revision` is non-zero the list is read at that
    /// revision (throwing `compacted` when it is older than the compacted revision); zero reads the latest.
    func list(prefix: String, startAfter: String?, limit: Int, revision: Int64) async throws(StoreError) -> StoreListResult

    /// Creates `key`; throws `keyExists` if it is present. Returns the new revision.
    func create(_ key: String, value: [UInt8]) async throws(StoreError) -> Int64

    /// `create`, also handing the backend `value` already decoded, which it may pass to watchers in this
    /// process as `StoredValue.decoded`.
    func create(_ key: String, value: [UInt8], decoded: JSONValue?) async throws(StoreError) -> Int64

    /// Replaces `key` if its `modRevision` equals `expectedRevision`; throws `conflict` (with the
    /// current value) otherwise, `keyNotFound` when it is missing. Returns the new revision.
    func update(_ key: String, value: [UInt8], expectedRevision: Int64) async throws(StoreError) -> Int64

    /// `update`, also handing the backend `value` already decoded (see `create(_:value:decoded:)`).
    func update(_ key: String, value: [UInt8], expectedRevision: Int64, decoded: JSONValue?) async throws(StoreError) -> Int64

    /// Removes `key` if its `modRevision` equals `expectedRevision` (any revision when `nil`). Returns
    /// the removed value with `modRevision` set to the deletion's revision.
    func delete(_ key: String, expectedRevision: Int64?) async throws(StoreError) -> StoredValue

    /// Changes to keys under `prefix` after `revision` (exclusive), first the ones already in history,
    /// then live ones, in revision order. Ends with `compacted` if `revision` is older than the compacted
    /// revision. The stream ends when the consumer stops iterating or the store closes.
    func watch(prefix: String, afterRevision revision: Int64) -> AsyncThrowingStream<StoreEvent, any Error>

    /// Forgets history at and before `revision`: later watches and lists from such revisions fail
    /// with `compacted`. Current values are kept.
    func compact(revision: Int64) async throws(StoreError)

    /// The revision up to which history has been compacted (0 if never).
    func compactedRevision() async throws(StoreError) -> Int64

    /// Counts keys under `prefix` at the latest revision.
    func count(prefix: String) async throws(StoreError) -> Int64

    /// Releases resources; pending watches end.
    func close() async
}

extension Store {
    /// Backends that cannot pass decoded values on ignore them.
    public func create(_ key: String, value: [UInt8], decoded: JSONValue?) async throws(StoreError) -> Int64 {
        try await create(key, value: value)
    }

    public func update(_ key: String, value: [UInt8], expectedRevision: Int64, decoded: JSONValue?) async throws(StoreError)
        -> Int64
    {
        try await update(key, value: value, expectedRevision: expectedRevision)
    }
}

/// Why a store operation failed.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case keyExists
        case keyNotFound
        case conflict
        case compacted
        case unavailable
        case invalid
    }

    public var code: Code
    public var key: String?
    /// For `conflict`: the value currently stored.
    public var current: StoredValue?
    /// For `compacted`: the compacted revision.
    public var compactedRevision: Int64?
    public var message: String

    public init(_ code: Code, key: String? = nil, current: StoredValue? = nil, compactedRevision: Int64? = nil, message: String) {
        self.code = code
        self.key = key
        self.current = current
        self.compactedRevision = compactedRevision
        self.message = message
    }

    public var description: String { message }

    public var isKeyExists: Bool { code == .keyExists }
    public var isNotFound: Bool { code == .keyNotFound }
    public var isConflict: Bool { code == .conflict }
    public var isCompacted: Bool { code == .compacted }
}
