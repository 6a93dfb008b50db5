import Foundation
import SkiffAPI

/// The metadata the API server owns on create and update (upstream's `BeforeCreate`/`BeforeUpdate`
/// in `k8s.io/apiserver/pkg/registry/rest`): uid, timestamps, generation, namespace.
enum ObjectLifecycle {
    /// RFC 3339 in UTC with second precision, as `metav1.Time` is written.
    static func timestamp(_ date: Date) -> String { Identifiers.timestamp(date) }

    /// `generateName` plus five random characters from upstream's alphabet (no vowels, no look-alikes).
    static func generatedName(_ base: String) -> String {
        let maxBase = 63 - 5
        let prefix = base.count > maxBase ? String(base.prefix(maxBase)) : base
        return prefix + Identifiers.nameSuffix()
    }

    static func prepareForCreate(_ object: inout JSONValue, resource: ServedResource, namespace: String?, now: Date) {
        var metadata = object["metadata"] ?? [:]
        if metadata.objectValue == nil { metadata = [:] }
        metadata["resourceVersion"] = nil
        metadata["selfLink"] = nil
        metadata["deletionTimestamp"] = nil
        metadata["deletionGracePeriodSeconds"] = nil
        metadata["uid"] = .string(Identifiers.uuid())
        metadata["creationTimestamp"] = .string(timestamp(now))
        if resource.namespaced, let namespace { metadata["namespace"] = .string(namespace) } else { metadata["namespace"] = nil }
        if resource.strategy.tracksGeneration { metadata["generation"] = 1 } else { metadata["generation"] = nil }
        object["metadata"] = metadata
    }

    /// Carries over what clients cannot change, and bumps the generation when the spec changed.
    static func prepareForUpdate(_ object: inout JSONValue, old: JSONValue, resource: ServedResource) {
        var metadata = object["metadata"] ?? [:]
        if metadata.objectValue == nil { metadata = [:] }
        let oldMeta = old["metadata"] ?? [:]
        metadata["selfLink"] = nil
        if (metadata["uid"]?.stringValue ?? "").isEmpty { metadata["uid"] = oldMeta["uid"] }
        if let created = oldMeta["creationTimestamp"] { metadata["creationTimestamp"] = created }
        if let deletion = oldMeta["deletionTimestamp"] { metadata["deletionTimestamp"] = deletion }
        if let grace = oldMeta["deletionGracePeriodSeconds"], metadata["deletionGracePeriodSeconds"] == nil {
            metadata["deletionGracePeriodSeconds"] = grace
        }
        if resource.namespaced { metadata["namespace"] = oldMeta["namespace"] }
        if resource.strategy.tracksGeneration {
            let oldGeneration = oldMeta["generation"]?.intValue ?? 0
            metadata["generation"] = .int(specChanged(object, old) ? oldGeneration + 1 : oldGeneration)
        } else {
            metadata["generation"] = oldMeta["generation"]
        }
        object["metadata"] = metadata
    }

    /// Whether anything outside metadata and status differs (what generation counts).
    static func specChanged(_ new: JSONValue, _ old: JSONValue) -> Bool {
        guard case .object(let n) = new, case .object(let o) = old else { return true }
        let skip: Set<String> = ["metadata", "status", "apiVersion", "kind"]
        let newKeys = Set(n.keys).subtracting(skip)
        let oldKeys = Set(o.keys).subtracting(skip)
        guard newKeys == oldKeys else { return true }
        return newKeys.contains { n[$0] != o[$0] }
    }

    /// The bytes to store: the object without its resourceVersion (the revision carries it).
    static func storageBytes(_ object: JSONValue) -> [UInt8] { storageForm(object).bytes }

    /// What is stored for `object` (it without `metadata.resourceVersion`), decoded and encoded.
    static func storageForm(_ object: JSONValue) -> (object: JSONValue, bytes: [UInt8]) {
        var copy = object
        copy.setValue(nil, at: ["metadata", "resourceVersion"])
        return (copy, copy.serialized())
    }

    /// etcd's default `--max-request-bytes`: upstream cannot store a larger object on any backend, so
    /// neither does Skiff (the SQLite store would take it, and a patch could grow an object without bound).
    static let maxStoredBytes = 1_572_864

    /// The stored form of an object about to be written, within etcd's limit. As upstream does when etcd
    /// says "request is too large", a too-large object is tried once more without its managedFields; still
    /// too large is etcd's error, which upstream passes on as a 500 with no reason.
    static func storageFormWithinLimit(_ object: JSONValue) throws(APIError) -> (object: JSONValue, bytes: [UInt8]) {
        let storage = storageForm(object)
        if storage.bytes.count <= maxStoredBytes { return storage }
        var stripped = object
        stripped.setValue(nil, at: ["metadata", "managedFields"])
        let smaller = storageForm(stripped)
        if smaller.bytes.count <= maxStoredBytes { return smaller }
        throw .unknown("etcdserver: request is too large")
    }

    /// The served JSON of a stored object: its stored bytes with `metadata.resourceVersion` added, by
    /// splicing when the bytes allow it (they do when this server wrote them), by decoding otherwise.
    static func servedBytes(stored bytes: [UInt8], revision: Int64) throws -> [UInt8] {
        if let spliced = JSONSplice.appendingMember("resourceVersion", rawValue: Array("\"\(revision)\"".utf8),
                                                    toObjectAt: "metadata", in: bytes) {
            return spliced
        }
        var object = try JSONValue(parsing: bytes)
        object.setValue(.string(String(revision)), at: ["metadata", "resourceVersion"])
        return object.serialized()
    }

    static func settingRevision(_ object: JSONValue, _ revision: Int64) -> JSONValue {
        var copy = object
        copy.setValue(.string(String(revision)), at: ["metadata", "resourceVersion"])
        return copy
    }
}
