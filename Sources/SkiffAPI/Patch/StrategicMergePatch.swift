/// Strategic merge patch (`application/strategic-merge-patch+json`), as apimachinery's `strategicpatch`
/// applies it: maps merge; lists merge by their `x-kubernetes-patch-merge-key` when the schema's
/// patch strategy is `merge` (primitive lists then merge as sets) and are replaced otherwise; `null`
/// deletes. Directives: `$patch` (`merge`, `replace`, `delete`), `$retainKeys`,
/// `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>`.
public enum StrategicMergePatch {
    static let deleteFromPrimitiveList = "$deleteFromPrimitiveList/"
    static let setElementOrder = "$setElementOrder/"

    public static func apply(_ patch: JSONValue, to original: JSONValue, schema: Schema?) throws(PatchError) -> JSONValue {
        guard case .object(let patchMembers) = patch else {
            throw PatchError("json: cannot unmarshal \(patch.typeName) into Go value of type map[string]interface {}", malformed: true)
        }
        let base = original.objectValue ?? JSONObject()
        guard let merged = try mergeMap(base, patchMembers, schema: schema) else { return .object(JSONObject()) }
        return .object(merged)
    }

    /// Merges `patch` into `original`; `nil` when the patch deletes the whole map.
    static func mergeMap(_ original: JSONObject, _ patch: JSONObject, schema: Schema?) throws(PatchError) -> JSONObject? {
        var patch = patch
        if let directive = patch.removeValue(forKey: "$patch") {
            switch directive.stringValue {
            case "replace"?: return try mergeMap(JSONObject(), patch, schema: schema)
            case "delete"?: return nil
            case "merge"?: break
            default: throw PatchError("Unknown patch type: \(directive.stringValue ?? directive.jsonString) in map: \(JSONValue.object(patch).jsonString)")
            }
        }
        var result = original
        if let retain = patch.removeValue(forKey: "$retainKeys") {
            guard let keys = retain.arrayValue?.compactMap(\.stringValue) else {
                throw PatchError("invalid $retainKeys directive: \(retain.jsonString)")
            }
            let kept = Set(keys)
            for key in result.keys where !kept.contains(key) { result[key] = nil }
        }
        var orders: [(String, [JSONValue])] = []
        for (key, value) in patch {
            if key.hasPrefix(deleteFromPrimitiveList) {
                let field = String(key.dropFirst(deleteFromPrimitiveList.count))
                guard let doomed = value.arrayValue else { throw PatchError("invalid \(key) directive: \(value.jsonString)") }
                if let list = result[field]?.arrayValue {
                    result[field] = .array(list.filter { !doomed.contains($0) })
                }
                continue
            }
            if key.hasPrefix(setElementOrder) {
                guard let order = value.arrayValue else { throw PatchError("invalid \(key) directive: \(value.jsonString)") }
                orders.append((String(key.dropFirst(setElementOrder.count)), order))
                continue
            }
            if value.isNull {
                result[key] = nil
                continue
            }
            let child = schema.flatMap { $0.kind == .map ? $0.values : $0.property(key) }
            switch (result[key], value) {
            case (.object(let before)?, .object(let change)):
                if let merged = try mergeMap(before, change, schema: child) { result[key] = .object(merged) } else { result[key] = nil }
            case (_, .object(let change)):
                if let merged = try mergeMap(JSONObject(), change, schema: child) { result[key] = .object(merged) } else { result[key] = nil }
            case (let before, .array(let change)):
                if let child, child.mergesList {
                    result[key] = .array(try mergeList(before?.arrayValue ?? [], change, schema: child))
                } else {
                    result[key] = .array(change)
                }
            default:
                result[key] = value
            }
        }
        for (field, order) in orders {
            guard let list = result[field]?.arrayValue else { continue }
            let child = schema.flatMap { $0.kind == .map ? $0.values : $0.property(field) }
            result[field] = .array(reorder(list, by: order, mergeKey: child?.patchMergeKey))
        }
        return result
    }

    /// Merges a list with merge strategy: by merge key for lists of objects, as a set for primitives.
    static func mergeList(_ original: [JSONValue], _ patch: [JSONValue], schema: Schema) throws(PatchError) -> [JSONValue] {
        // `{"$patch": "replace"}` among the items replaces the whole list with the other items.
        if patch.contains(where: { $0["$patch"]?.stringValue == "replace" }) {
            return patch.filter { $0["$patch"]?.stringValue != "replace" }
        }
        guard let mergeKey = schema.patchMergeKey else {
            var result = original
            for item in patch where !result.contains(item) {
                if case .object(let members) = item, members["$patch"] != nil { continue }
                result.append(item)
            }
            return result
        }
        let elementSchema = schema.elements
        var result = original
        for item in patch {
            guard case .object(var members) = item else {
                throw PatchError("unable to find api field in struct for merge key \(mergeKey): \(item.jsonString)")
            }
            if members["$patch"]?.stringValue == "delete" {
                members["$patch"] = nil
                guard let keyValue = members[mergeKey] else {
                    throw PatchError("delete patch map \(item.jsonString) does not contain declared merge key: \(mergeKey)")
                }
                result.removeAll { $0[mergeKey] == keyValue }
                continue
            }
            guard let keyValue = members[mergeKey] else {
                throw PatchError("map: \(item.jsonString) does not contain declared merge key: \(mergeKey)")
            }
            if let index = result.firstIndex(where: { $0[mergeKey] == keyValue }) {
                let before = result[index].objectValue ?? JSONObject()
                if let merged = try mergeMap(before, members, schema: elementSchema) {
                    result[index] = .object(merged)
                } else {
                    result.remove(at: index)
                }
            } else if let merged = try mergeMap(JSONObject(), members, schema: elementSchema) {
                result.append(.object(merged))
            }
        }
        return result
    }

    /// Puts the items named in `order` (merge-key objects or primitives) first, in that order; the
    /// others keep their relative order after them.
    static func reorder(_ list: [JSONValue], by order: [JSONValue], mergeKey: String?) -> [JSONValue] {
        func identity(_ item: JSONValue) -> JSONValue {
            if let mergeKey, case .object = item { return item[mergeKey] ?? .null }
            return item
        }
        let wanted = order.map(identity)
        var remaining = list
        var ordered: [JSONValue] = []
        for key in wanted {
            if let index = remaining.firstIndex(where: { identity($0) == key }) {
                ordered.append(remaining.remove(at: index))
            }
        }
        return ordered + remaining
    }
}
