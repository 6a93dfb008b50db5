import Foundation
import SkiffAPI

/// One `metadata.managedFields` entry: who set which fields, how (Apply or Update) and through which
/// subresource.
struct ManagedFieldsEntry {
    var manager: String
    var operation: String
    var apiVersion: String
    var time: String
    var subresource: String?
    var fields: Set<FieldPath>

    init(manager: String, operation: String, apiVersion: String, time: String, subresource: String?, fields: Set<FieldPath>) {
        self.manager = manager
        self.operation = operation
        self.apiVersion = apiVersion
        self.time = time
        self.subresource = subresource
        self.fields = fields
    }

    init?(_ json: JSONValue) {
        guard let manager = json["manager"]?.stringValue else { return nil }
        self.manager = manager
        operation = json["operation"]?.stringValue ?? "Update"
        apiVersion = json["apiVersion"]?.stringValue ?? ""
        time = json["time"]?.stringValue ?? ""
        let sub = json["subresource"]?.stringValue ?? ""
        subresource = sub.isEmpty ? nil : sub
        fields = FieldsV1.decode(json["fieldsV1"])
    }

    func sameOwner(_ other: ManagedFieldsEntry) -> Bool {
        manager == other.manager && operation == other.operation && subresource == other.subresource
    }

    var json: JSONValue {
        var object: JSONObject = ["manager": .string(manager), "operation": .string(operation), "apiVersion": .string(apiVersion),
                                  "time": .string(time), "fieldsType": "FieldsV1", "fieldsV1": FieldsV1.encode(fields)]
        if let subresource { object["subresource"] = .string(subresource) }
        return .object(object)
    }

    static func read(_ object: JSONValue) -> [ManagedFieldsEntry] {
        (object["metadata"]?["managedFields"]?.arrayValue ?? []).compactMap(ManagedFieldsEntry.init)
    }

    static func write(_ entries: [ManagedFieldsEntry], to object: inout JSONValue) {
        let kept = entries.filter { !$0.fields.isEmpty }
        object.setValue(kept.isEmpty ? JSONValue?.none : .array(kept.map(\.json)), at: ["metadata", "managedFields"])
    }
}

/// Records who changed what on every write (`managedFields` with operation `Update`), as the API
/// server's field manager does for create, update and non-apply patches.
struct ManagedFieldsRecorder: Sendable {
    func recordCreate(_ object: JSONValue, manager: String, resource: ServedResource, now: Date) -> JSONValue {
        let tree = FieldsV1.tree(of: object, schema: resource.schema, skipStatus: resource.strategy.hasStatusSubresource)
        var result = object
        if tree.objectValue?.isEmpty ?? true {
            result.setValue(nil, at: ["metadata", "managedFields"])
            return result
        }
        let entry: JSONValue = ["manager": .string(manager), "operation": "Update", "apiVersion": .string(resource.info.groupVersionKind.apiVersion),
                                "time": .string(ObjectLifecycle.timestamp(now)), "fieldsType": "FieldsV1", "fieldsV1": tree]
        result.setValue([entry], at: ["metadata", "managedFields"])
        return result
    }

    func recordUpdate(_ object: JSONValue, old: JSONValue?, manager: String, subresource: String?, resource: ServedResource,
                      now: Date) -> JSONValue {
        let schema = resource.schema
        let statusOnly = subresource == "status"
        let skipStatus = resource.strategy.hasStatusSubresource
        let after = FieldSetWalker(object, schema: schema, skipStatus: skipStatus, statusOnly: statusOnly).entries
        let before = old.map { FieldSetWalker($0, schema: schema, skipStatus: skipStatus, statusOnly: statusOnly).entries } ?? [:]
        var changed = Set<FieldPath>()
        for (path, value) in after {
            guard let previous = before[path] else {
                changed.insert(path)
                continue
            }
            if previous != value { changed.insert(path) }
        }
        let removed = Set(before.keys).subtracting(after.keys)
        // Start from the entries the client sent when it sent some (upstream lets a client rewrite managedFields:
        // kubectl moves a client-side apply's fields to its server-side manager so), else from the stored ones.
        // A subresource never changes them.
        let provided = subresource == nil ? ManagedFieldsEntry.read(object) : []
        var entries = provided.isEmpty ? (old.map(ManagedFieldsEntry.read) ?? []) : provided
        if changed.isEmpty && removed.isEmpty && old != nil {
            var unchanged = object
            ManagedFieldsEntry.write(entries, to: &unchanged)
            return unchanged
        }
        let me = ManagedFieldsEntry(manager: manager, operation: "Update", apiVersion: resource.info.groupVersionKind.apiVersion,
                                    time: ObjectLifecycle.timestamp(now), subresource: subresource, fields: [])
        var mine = me
        if let index = entries.firstIndex(where: { $0.sameOwner(me) }) {
            mine.fields = entries[index].fields
            entries.remove(at: index)
        }
        for index in entries.indices {
            entries[index].fields.subtract(changed)
            entries[index].fields.subtract(removed)
        }
        mine.fields.formUnion(changed)
        mine.fields.subtract(removed)
        mine.fields.formIntersection(after.keys)
        entries.append(mine)
        var result = object
        ManagedFieldsEntry.write(entries, to: &result)
        return result
    }
}
