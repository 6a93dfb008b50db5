import Foundation
import SkiffAPI

/// Server-side apply (`application/apply-patch+yaml`): merges the applied configuration into the live
/// object, refuses to take fields another manager set to a different value unless forced, removes
/// fields the manager applied before and no longer does (when nobody else owns them), and records the
/// manager's applied set in `managedFields` (structured-merge-diff's semantics, over the schema).
enum ServerSideApply {
    static func apply(_ config: JSONValue, to live: JSONValue?, manager: String, force: Bool, resource: ServedResource,
                      now: Date) throws(APIError) -> JSONValue {
        guard case .object = config else { throw .badRequest("error decoding YAML: apply patches must be objects") }
        let schema = resource.schema
        let skipStatus = resource.strategy.hasStatusSubresource
        let applied = FieldSetWalker(config, schema: schema, skipStatus: skipStatus).entries
        let appliedSet = Set(applied.keys)
        let current = live ?? [:]
        let currentEntries = FieldSetWalker(current, schema: schema, skipStatus: skipStatus).entries
        var entries = live.map(ManagedFieldsEntry.read) ?? []
        let me = ManagedFieldsEntry(manager: manager, operation: "Apply", apiVersion: resource.info.groupVersionKind.apiVersion,
                                    time: ObjectLifecycle.timestamp(now), subresource: nil, fields: appliedSet)
        let previous = entries.first(where: { $0.sameOwner(me) })?.fields ?? []

        // Conflicts: fields someone else owns that this apply sets to a different value.
        var conflicts: [(manager: String, apiVersion: String, path: FieldPath)] = []
        for (index, entry) in entries.enumerated() where !entry.sameOwner(me) {
            var lost = Set<FieldPath>()
            for path in entry.fields.intersection(appliedSet) {
                guard case .some(.some(let wanted)) = applied[path] else { continue }
                if case .some(.some(let have)) = currentEntries[path], have == wanted { continue }
                if force { lost.insert(path) } else { conflicts.append((entry.manager, entry.apiVersion, path)) }
            }
            entries[index].fields.subtract(lost)
        }
        if !conflicts.isEmpty {
            // kubectl's move from client-side apply: fields whose value is still what the last client-side
            // apply set are kubectl's to take (upstream's lastAppliedManager).
            let allowed = manager == "kubectl" ? takeoverFields(live: current, liveEntries: currentEntries, resource: resource) : []
            let remaining = conflicts.filter { !allowed.contains($0.path) }
            if remaining.isEmpty {
                return try apply(config, to: live, manager: manager, force: true, resource: resource, now: now)
            }
            throw conflictError(remaining, resource: resource, name: config["metadata"]?["name"]?.stringValue ?? "")
        }

        var result = merge(current, config, schema: schema)
        let othersOwn = entries.filter { !$0.sameOwner(me) }.reduce(into: Set<FieldPath>()) { $0.formUnion($1.fields) }
        // Longest paths first, so an item's fields go before the item.
        for path in previous.subtracting(appliedSet).subtracting(othersOwn).sorted(by: { $0.count > $1.count }) {
            remove(path, from: &result)
        }
        entries.removeAll { $0.sameOwner(me) }
        entries.append(me)
        ManagedFieldsEntry.write(entries, to: &result)
        // kubectl's server-side apply keeps a client-side apply's annotation current (upstream's lastAppliedUpdater),
        // so a later `kubectl apply` without --server-side computes its patch from what was applied last.
        if manager == "kubectl", let annotation = result["metadata"]?["annotations"]?[lastAppliedAnnotation]?.stringValue,
           !annotation.isEmpty {
            var recorded = config
            recorded.setValue(nil, at: ["metadata", "annotations", lastAppliedAnnotation])
            if recorded["metadata"]?["annotations"]?.objectValue?.isEmpty == true {
                recorded.setValue(nil, at: ["metadata", "annotations"])
            }
            result.setValue(.string(recorded.jsonString), at: ["metadata", "annotations", lastAppliedAnnotation])
        }
        return result
    }

    static let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

    /// The fields a client-side apply set (its last-applied annotation, in the request's version) whose live
    /// value is still the one it set: conflicts on these do not stop kubectl's server-side apply.
    static func takeoverFields(live: JSONValue, liveEntries: [FieldPath: JSONValue?], resource: ServedResource) -> Set<FieldPath> {
        guard let text = live["metadata"]?["annotations"]?[lastAppliedAnnotation]?.stringValue, !text.isEmpty,
              let lastApplied = try? JSONValue(parsing: Array(text.utf8)),
              lastApplied["apiVersion"]?.stringValue == resource.info.groupVersionKind.apiVersion else { return [] }
        let entries = FieldSetWalker(lastApplied, schema: resource.schema, skipStatus: resource.strategy.hasStatusSubresource).entries
        var allowed = Set<FieldPath>()
        for (path, value) in entries {
            guard case .some(let wanted) = value, case .some(.some(let have)) = liveEntries[path], have == wanted else { continue }
            allowed.insert(path)
        }
        return allowed
    }

    static func conflictError(_ conflicts: [(manager: String, apiVersion: String, path: FieldPath)], resource: ServedResource,
                              name: String) -> APIError {
        let sorted = conflicts.sorted { ($0.manager, FieldsV1.display($0.path)) < ($1.manager, FieldsV1.display($1.path)) }
        let causes = sorted.map {
            APIError.Cause(reason: "FieldManagerConflict", message: "conflict with \"\($0.manager)\" using \($0.apiVersion)",
                           field: FieldsV1.display($0.path))
        }
        let message: String
        if sorted.count == 1, let only = sorted.first {
            message = "Apply failed with 1 conflict: conflict with \"\(only.manager)\" using \(only.apiVersion): \(FieldsV1.display(only.path))"
        } else {
            var text = "Apply failed with \(sorted.count) conflicts: "
            var groups: [String] = []
            var lastManager = ""
            for conflict in sorted {
                if conflict.manager != lastManager {
                    groups.append("conflicts with \"\(conflict.manager)\" using \(conflict.apiVersion):")
                    lastManager = conflict.manager
                }
                groups[groups.count - 1] += "\n- " + FieldsV1.display(conflict.path)
            }
            text += groups.joined(separator: "\n")
            message = text
        }
        return APIError(code: 409, reason: "Conflict", message: message, name: name, group: resource.group,
                        kind: resource.resource, causes: causes)
    }

    /// Merges `config` into `live`: structs and maps member by member, keyed lists item by item, sets as
    /// unions; anything else (atomic lists, scalars) is replaced.
    static func merge(_ live: JSONValue, _ config: JSONValue, schema: Schema?) -> JSONValue {
        switch (live, config) {
        case (.object(var members), .object(let changes)):
            if schema?.mapType == .atomic { return config }
            for (key, value) in changes {
                let child = schema.flatMap { $0.kind == .map ? $0.values : $0.property(key) }
                if let existing = members[key] {
                    members[key] = merge(existing, value, schema: child)
                } else {
                    members[key] = value
                }
            }
            return .object(members)
        case (.array(var items), .array(let changes)):
            guard let schema else { return config }
            switch FieldSetWalker.listKeys(schema) {
            case .keyed(let keys):
                for change in changes {
                    guard let name = FieldSetWalker.itemName(change, keys: keys) else { return config }
                    if let index = items.firstIndex(where: { FieldSetWalker.itemName($0, keys: keys) == name }) {
                        items[index] = merge(items[index], change, schema: schema.elements)
                    } else {
                        items.append(change)
                    }
                }
                return .array(items)
            case .set:
                for change in changes where !items.contains(change) { items.append(change) }
                return .array(items)
            case .atomic:
                return config
            }
        default:
            return config
        }
    }

    /// Removes the field at `path` (a member, keyed item or set value) if it is there.
    static func remove(_ path: FieldPath, from object: inout JSONValue) {
        guard let first = path.first else { return }
        let rest = Array(path.dropFirst())
        switch object {
        case .object(var members):
            guard first.hasPrefix("f:") else { return }
            let key = String(first.dropFirst(2))
            if rest.isEmpty {
                members[key] = nil
            } else if var child = members[key] {
                remove(rest, from: &child)
                members[key] = child
            }
            object = .object(members)
        case .array(var items):
            guard let index = items.firstIndex(where: { matches($0, first) }) else { return }
            if rest.isEmpty {
                items.remove(at: index)
            } else {
                remove(rest, from: &items[index])
            }
            object = .array(items)
        default:
            return
        }
    }

    static func matches(_ item: JSONValue, _ element: String) -> Bool {
        if element.hasPrefix("v:") { return item.jsonString == element.dropFirst(2) }
        guard element.hasPrefix("k:"), let keys = try? JSONValue(parsing: Array(element.dropFirst(2).utf8)).objectValue else { return false }
        return keys.allSatisfy { item[$0.key] == $0.value }
    }
}
