import Foundation
import SkiffJSON

/// The JSON shapes of etcd's gRPC gateway: byte fields are base64, 64-bit integers are strings, and
/// fields with their zero value are left out.
enum EtcdCodec {
    static func base64(_ bytes: [UInt8]) -> JSONValue { .string(Data(bytes).base64EncodedString()) }

    static func base64(_ text: String) -> JSONValue { base64(Array(text.utf8)) }

    static func int(_ value: Int64) -> JSONValue { .string(String(value)) }

    /// A byte field; a missing one is empty.
    static func bytes(_ value: JSONValue?) throws(StoreError) -> [UInt8] {
        guard let value, !value.isNull else { return [] }
        guard let text = value.stringValue, let data = Data(base64Encoded: text) else {
            throw malformed("a byte field is not base64")
        }
        return Array(data)
    }

    /// An int64 field (a string, or a number from a lenient gateway); a missing one is 0.
    static func int64(_ value: JSONValue?) throws(StoreError) -> Int64 {
        guard let value, !value.isNull else { return 0 }
        if let number = value.intValue { return number }
        guard let text = value.stringValue, let number = Int64(text) else {
            throw malformed("an integer field is \(value)")
        }
        return number
    }

    /// A `mvccpb.KeyValue` as the store's value.
    static func storedValue(_ kv: JSONValue) throws(StoreError) -> StoredValue {
        let keyBytes = try bytes(kv["key"])
        return StoredValue(key: String(decoding: keyBytes, as: UTF8.self), value: try bytes(kv["value"]),
                           createRevision: try int64(kv["create_revision"]), modRevision: try int64(kv["mod_revision"]))
    }

    /// The `kvs` of a range response.
    static func kvs(_ response: JSONValue) throws(StoreError) -> [StoredValue] {
        var values: [StoredValue] = []
        for kv in response["kvs"]?.arrayValue ?? [] { values.append(try storedValue(kv)) }
        return values
    }

    /// The revision in a response header.
    static func headerRevision(_ response: JSONValue) throws(StoreError) -> Int64 {
        try int64(response["header"]?["revision"])
    }

    /// A watch event (`mvccpb.Event`, with `prev_kv` asked for) as the store's event.
    static func event(_ event: JSONValue) throws(StoreError) -> StoreEvent {
        guard let kv = event["kv"] else { throw malformed("a watch event has no kv") }
        let current = try storedValue(kv)
        let previous = try event["prev_kv"].map { value throws(StoreError) in try storedValue(value) }
        if event["type"]?.stringValue == "DELETE" {
            // etcd's deletion carries only the key and the deletion's revision; the value is the previous one.
            var last = previous ?? StoredValue(key: current.key, value: [], createRevision: 0, modRevision: 0)
            last.modRevision = current.modRevision
            return StoreEvent(kind: .deleted, value: last, previous: previous)
        }
        if current.createRevision == current.modRevision {
            return StoreEvent(kind: .created, value: current, previous: nil)
        }
        return StoreEvent(kind: .updated, value: current, previous: previous)
    }

    static func malformed(_ detail: String) -> StoreError {
        StoreError(.unavailable, message: "etcd sent a malformed response: \(detail)")
    }
}
