import SkiffAPI

/// Field paths as `managedFields` (FieldsV1) names them: `f:name` for a struct or map member,
/// `k:{"name":"web"}` for an item of a keyed list, `v:"x"` for a set member.
typealias FieldPath = [String]

/// The fields an object sets, by the rules of structured-merge-diff: leaves, map-typed fields
/// themselves and keyed list items (so a manager can own "the container named web"), each with the
/// value found there (nil for the non-leaf nodes).
struct FieldSetWalker {
    /// Top-level paths never tracked: identity and system-maintained metadata.
    static let ignoredMetadata: Set<String> = ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                                               "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"]

    /// Path → value for leaves; path → nil for tracked inner nodes.
    var entries: [FieldPath: JSONValue?] = [:]

    /// Walks an object; `statusOnly` tracks only `status` (the status subresource), otherwise `status`
    /// is skipped when the kind has a status subresource.
    init(_ object: JSONValue, schema: Schema?, skipStatus: Bool, statusOnly: Bool = false) {
        guard case .object(let members) = object else { return }
        for (key, value) in members {
            if key == "apiVersion" || key == "kind" { continue }
            if statusOnly ? key != "status" : (skipStatus && key == "status") { continue }
            let child = schema?.property(key)
            if key == "metadata", case .object(let metadata) = value {
                for (field, inner) in metadata where !Self.ignoredMetadata.contains(field) {
                    walk(inner, schema: child?.property(field), path: ["f:metadata", "f:" + field])
                }
                continue
            }
            walk(value, schema: child, path: ["f:" + key])
        }
    }

    mutating func walk(_ value: JSONValue, schema: Schema?, path: FieldPath) {
        guard let schema else {
            entries[path] = .some(value)
            return
        }
        switch (schema.kind, value) {
        case (.object, .object(let members)) where schema.mapType != .atomic && !members.isEmpty:
            for (key, inner) in members where !inner.isNull {
                walk(inner, schema: schema.property(key), path: path + ["f:" + key])
            }
        case (.map, .object(let members)) where schema.mapType != .atomic:
            entries[path] = .some(nil)
            for (key, inner) in members {
                walk(inner, schema: schema.values, path: path + ["f:" + key])
            }
        case (.array, .array(let items)):
            let keys = Self.listKeys(schema)
            switch keys {
            case .keyed(let names):
                for item in items {
                    guard let itemPath = Self.itemName(item, keys: names) else {
                        entries[path] = .some(value)
                        return
                    }
                    entries[path + [itemPath]] = .some(nil)
                    walk(item, schema: schema.elements, path: path + [itemPath])
                }
            case .set:
                for item in items { entries[path + ["v:" + item.jsonString]] = .some(item) }
            case .atomic:
                entries[path] = .some(value)
            }
        default:
            entries[path] = .some(value)
        }
    }

    enum ListKeys { case keyed([String]), set, atomic }

    static func listKeys(_ schema: Schema) -> ListKeys {
        switch schema.listType {
        case .map?: return schema.listMapKeys.isEmpty ? .atomic : .keyed(schema.listMapKeys)
        case .set?: return .set
        case .atomic?: return .atomic
        case nil: break
        }
        if schema.mergesList {
            if let key = schema.patchMergeKey { return .keyed([key]) }
            return .set
        }
        return .atomic
    }

    /// `k:{"name":"web"}` for a keyed item (keys in name order), nil if the item lacks them all.
    static func itemName(_ item: JSONValue, keys: [String]) -> String? {
        var selected = JSONObject()
        for key in keys.sorted() {
            if let value = item[key] { selected[key] = value }
        }
        if selected.isEmpty { return nil }
        return "k:" + JSONValue.object(selected).jsonString
    }
}

/// Converting between a set of paths and the FieldsV1 JSON tree (`{"f:data":{".":{},"f:a":{}}}`).
enum FieldsV1 {
    final class Node {
        var children: [String: Node] = [:]
        var isMember = false
    }

    static func encode(_ paths: Set<FieldPath>) -> JSONValue {
        let root = Node()
        for path in paths {
            var node = root
            for element in path {
                if let next = node.children[element] { node = next } else {
                    let next = Node()
                    node.children[element] = next
                    node = next
                }
            }
            node.isMember = true
        }
        func render(_ node: Node) -> JSONValue {
            var object = JSONObject()
            if node.isMember && !node.children.isEmpty { object["."] = [:] }
            for key in node.children.keys.sorted() {
                if let child = node.children[key] { object[key] = render(child) }
            }
            return .object(object)
        }
        return render(root)
    }

    static func decode(_ value: JSONValue?) -> Set<FieldPath> {
        var paths = Set<FieldPath>()
        func visit(_ value: JSONValue, _ path: FieldPath) {
            guard case .object(let members) = value else { return }
            if members.isEmpty, !path.isEmpty { paths.insert(path) }
            for (key, child) in members {
                if key == "." { paths.insert(path) } else { visit(child, path + [key]) }
            }
        }
        if let value { visit(value, []) }
        return paths
    }

    /// The path as SMD prints it in conflict messages: `.spec.replicas`, `.spec.containers[name="web"].image`.
    static func display(_ path: FieldPath) -> String {
        var text = ""
        for element in path {
            if element.hasPrefix("f:") {
                text += "." + element.dropFirst(2)
            } else if element.hasPrefix("k:"), let keys = try? JSONValue(parsing: Array(element.dropFirst(2).utf8)).objectValue {
                text += "[" + keys.map { "\($0.key)=\($0.value.jsonString)" }.joined(separator: ",") + "]"
            } else if element.hasPrefix("v:") {
                text += "[=" + element.dropFirst(2) + "]"
            } else {
                text += "." + element
            }
        }
        return text
    }
}

extension FieldsV1 {
    /// The FieldsV1 tree of everything `object` sets, built in one pass (the create path: no
    /// previous owners to compare with, so no path sets are needed). Same rules as `FieldSetWalker`.
    static func tree(of object: JSONValue, schema: Schema?, skipStatus: Bool) -> JSONValue {
        guard case .object(let members) = object else { return [:] }
        var root: [(String, JSONValue)] = []
        for (key, value) in members {
            if key == "apiVersion" || key == "kind" || (skipStatus && key == "status") { continue }
            let child = schema?.property(key)
            if key == "metadata", case .object(let metadata) = value {
                var fields: [(String, JSONValue)] = []
                for (field, inner) in metadata where !FieldSetWalker.ignoredMetadata.contains(field) {
                    fields.append(("f:" + field, node(inner, schema: child?.property(field))))
                }
                if !fields.isEmpty { root.append(("f:metadata", sorted(fields, member: false))) }
                continue
            }
            root.append(("f:" + key, node(value, schema: child)))
        }
        return sorted(root, member: false)
    }

    static func node(_ value: JSONValue, schema: Schema?) -> JSONValue {
        guard let schema else { return [:] }
        switch (schema.kind, value) {
        case (.object, .object(let members)) where schema.mapType != .atomic && !members.isEmpty:
            var children: [(String, JSONValue)] = []
            for (key, inner) in members where !inner.isNull {
                children.append(("f:" + key, node(inner, schema: schema.property(key))))
            }
            return sorted(children, member: false)
        case (.map, .object(let members)) where schema.mapType != .atomic:
            return sorted(members.map { ("f:" + $0.key, node($0.value, schema: schema.values)) }, member: true)
        case (.array, .array(let items)):
            switch FieldSetWalker.listKeys(schema) {
            case .keyed(let names):
                var children: [(String, JSONValue)] = []
                for item in items {
                    guard let name = FieldSetWalker.itemName(item, keys: names) else { return [:] }
                    var inner = node(item, schema: schema.elements).objectValue ?? JSONObject()
                    var withDot = JSONObject()
                    withDot["."] = [:]
                    for (k, v) in inner { withDot[k] = v }
                    inner = withDot
                    children.append((name, .object(inner)))
                }
                return sorted(children, member: false)
            case .set:
                return sorted(items.map { ("v:" + $0.jsonString, [:]) }, member: false)
            case .atomic:
                return [:]
            }
        default:
            return [:]
        }
    }

    /// An object of `children` in key order, led by `"."` when the node itself is a member.
    static func sorted(_ children: [(String, JSONValue)], member: Bool) -> JSONValue {
        var object = JSONObject(minimumCapacity: children.count + 1)
        if member && !children.isEmpty { object["."] = [:] }
        for (key, value) in children.sorted(by: { $0.0 < $1.0 }) { object[key] = value }
        return .object(object)
    }
}
