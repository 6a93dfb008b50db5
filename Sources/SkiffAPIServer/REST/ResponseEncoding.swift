import Foundation
import NIOCore
import SkiffAPI

/// Builds response bodies from cached object bytes without decoding them when it can (JSON lists and
/// gets are concatenations of bytes encoded once by the watch cache). Objects arrive in the storage
/// version; a converted resource's encoder converts each into the served version (tables take their
/// cells from the stored form, as upstream prints the internal object).
struct ResponseEncoder: Sendable {
    let resource: ServedResource
    let format: OutputFormat
    let now: Date

    var contentType: String {
        switch format {
        case .yaml: return "application/yaml"
        default: return "application/json"
        }
    }

    /// One object (get, create, update responses).
    func object(_ json: [UInt8], allocator: ByteBufferAllocator) throws -> ByteBuffer {
        switch format {
        case .json:
            return allocator.buffer(bytes: try served(json))
        case .yaml:
            return allocator.buffer(string: try JSONValue(parsing: served(json)).yamlString())
        case .table(let version, let includeObject):
            let object = try JSONValue(parsing: json)
            let table = tableJSON(rows: [row(object, includeObject: includeObject, version: version)],
                                  version: version, metadata: ["resourceVersion": object["metadata"]?["resourceVersion"] ?? ""])
            return allocator.buffer(bytes: table.serialized())
        case .partialMetadata(let version):
            let object = try JSONValue(parsing: served(json))
            return allocator.buffer(bytes: partial(object, version: version).serialized())
        }
    }

    /// A list response of cached objects with list metadata.
    func list(_ stored: [CachedObject], metadata: JSONObject, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        if case .table(let version, let includeObject) = format {
            let rows = try stored.map { try row($0.parsed(), includeObject: includeObject, version: version) }
            return allocator.buffer(bytes: tableJSON(rows: rows, version: version, metadata: metadata).serialized())
        }
        let objects = try resource.conversion.map { conversion in try stored.map { try conversion.served($0) } } ?? stored
        switch format {
        case .json:
            var buffer = allocator.buffer(capacity: objects.reduce(256) { $0 + $1.json.count + 1 })
            buffer.writeString("{\"kind\":\"")
            buffer.writeString(resource.info.listKind)
            buffer.writeString("\",\"apiVersion\":\"")
            buffer.writeString(resource.apiVersion)
            buffer.writeString("\",\"metadata\":")
            buffer.writeBytes(JSONValue.object(metadata).serialized())
            buffer.writeString(",\"items\":[")
            for (i, object) in objects.enumerated() {
                if i > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                buffer.writeBytes(object.json)
            }
            buffer.writeString("]}")
            return buffer
        case .yaml:
            let items = try objects.map { try $0.parsed() }
            let list: JSONValue = ["kind": .string(resource.info.listKind), "apiVersion": .string(resource.apiVersion),
                                   "metadata": .object(metadata), "items": .array(items)]
            return allocator.buffer(string: list.yamlString())
        case .table:
            return allocator.buffer(capacity: 0)  // handled above, from the stored objects
        case .partialMetadata(let version):
            let items = try objects.map { try partial($0.parsed(), version: version) }
            let list: JSONValue = ["kind": "PartialObjectMetadataList", "apiVersion": .string("meta.k8s.io/\(version)"),
                                   "metadata": .object(metadata), "items": .array(items)]
            return allocator.buffer(bytes: list.serialized())
        }
    }

    /// One watch event line: `{"type":"ADDED","object":{...}}\n`.
    func watchEvent(type: String, object: CachedObject, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        var buffer = allocator.buffer(capacity: object.json.count + 40)
        buffer.writeString("{\"type\":\"")
        buffer.writeString(type)
        buffer.writeString("\",\"object\":")
        switch format {
        case .json, .yaml:
            buffer.writeBytes(try served(object.json))
        case .table(let version, let includeObject):
            let parsed = try object.parsed()
            let table = tableJSON(rows: [row(parsed, includeObject: includeObject, version: version)], version: version,
                                  metadata: ["resourceVersion": .string(String(object.revision))])
            buffer.writeBytes(table.serialized())
        case .partialMetadata(let version):
            buffer.writeBytes(partial(try JSONValue(parsing: served(object.json)), version: version).serialized())
        }
        buffer.writeString("}\n")
        return buffer
    }

    /// A BOOKMARK event carrying only the resourceVersion.
    func bookmark(revision: Int64, initialEventsEnd: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        var metadata: JSONValue = ["resourceVersion": .string(String(revision)), "creationTimestamp": nil]
        if initialEventsEnd { metadata["annotations"] = ["k8s.io/initial-events-end": "true"] }
        let object: JSONValue
        switch format {
        case .table(let version, _):
            object = ["kind": "Table", "apiVersion": .string("meta.k8s.io/\(version)"), "metadata": metadata,
                      "columnDefinitions": nil, "rows": nil]
        case .partialMetadata(let version):
            object = ["kind": "PartialObjectMetadata", "apiVersion": .string("meta.k8s.io/\(version)"), "metadata": metadata]
        default:
            object = ["kind": .string(resource.kind), "apiVersion": .string(resource.apiVersion), "metadata": metadata]
        }
        let event: JSONValue = ["type": "BOOKMARK", "object": object]
        var buffer = allocator.buffer(bytes: event.serialized())
        buffer.writeString("\n")
        return buffer
    }

    /// An ERROR event with a Status.
    static func errorEvent(_ error: APIError, allocator: ByteBufferAllocator) -> ByteBuffer {
        let event: JSONValue = ["type": "ERROR", "object": error.status]
        var buffer = allocator.buffer(bytes: event.serialized())
        buffer.writeString("\n")
        return buffer
    }

    // MARK: - Tables and metadata

    func tableJSON(rows: [JSONValue], version: String, metadata: JSONObject) -> JSONValue {
        ["kind": "Table", "apiVersion": .string("meta.k8s.io/\(version)"), "metadata": .object(metadata),
         "columnDefinitions": .array(resource.table.columns.map(\.json)), "rows": .array(rows)]
    }

    /// A table row of a stored object: cells from it, the included object in the served version.
    func row(_ object: JSONValue, includeObject: String, version: String) -> JSONValue {
        var row: JSONValue = ["cells": .array(resource.table.cells(for: object, now: now))]
        let served = resource.conversion?.served(object) ?? object
        switch includeObject {
        case "None": break
        case "Object": row["object"] = served
        default: row["object"] = partial(served, version: version)
        }
        return row
    }

    /// Stored JSON in the served version (unchanged, without a parse, for the storage version).
    func served(_ json: [UInt8]) throws -> [UInt8] {
        guard let conversion = resource.conversion else { return json }
        return try conversion.servedJSON(json)
    }

    func partial(_ object: JSONValue, version: String) -> JSONValue {
        ["kind": "PartialObjectMetadata", "apiVersion": .string("meta.k8s.io/\(version)"),
         "metadata": object["metadata"] ?? [:]]
    }
}
