import Foundation

/// JSON patch (RFC 6902), as `application/json-patch+json`: a list of `add`, `remove`, `replace`,
/// `move`, `copy` and `test` operations on JSON pointers, applied in order, all or nothing.
/// Messages follow evanphx/json-patch, which the Kubernetes API server uses.
public enum JSONPatch {
    /// How much `copy` operations may add to a document, in bytes of JSON (evanphx/json-patch's
    /// `AccumulatedCopySizeLimit`, which upstream sets to its request body limit: a few copies of a large
    /// value would otherwise multiply it).
    public static let maxCopyBytes = 3 * 1024 * 1024

    public static func apply(_ patch: JSONValue, to document: JSONValue, maxCopyBytes: Int = maxCopyBytes) throws(PatchError)
        -> JSONValue
    {
        var copied = 0
        guard case .array(let operations) = patch else {
            throw PatchError("json: cannot unmarshal \(patch.typeName) into Go value of type jsonpatch.Patch", malformed: true)
        }
        var doc = document
        for operation in operations {
            guard case .object(let op) = operation else {
                throw PatchError("json: cannot unmarshal \(operation.typeName) into Go value of type jsonpatch.Operation", malformed: true)
            }
            let kind = op["op"]?.stringValue ?? ""
            guard let pathText = op["path"]?.stringValue else {
                throw PatchError("operation missing path field")
            }
            let path = try pointer(pathText)
            switch kind {
            case "add":
                guard let value = op["value"] else { throw PatchError("add operation does not apply: doc is missing value") }
                try add(&doc, path, value, pathText: pathText)
            case "remove":
                _ = try remove(&doc, path, pathText: pathText, op: "remove")
            case "replace":
                guard let value = op["value"] else { throw PatchError("replace operation does not apply: doc is missing value") }
                guard get(doc, path) != nil else {
                    throw PatchError("replace operation does not apply: doc is missing key: \(pathText)")
                }
                _ = try remove(&doc, path, pathText: pathText, op: "replace")
                try add(&doc, path, value, pathText: pathText)
            case "move":
                guard let fromText = op["from"]?.stringValue else { throw PatchError("move operation missing from field") }
                let from = try pointer(fromText)
                let value = try remove(&doc, from, pathText: fromText, op: "move")
                try add(&doc, path, value, pathText: pathText)
            case "copy":
                guard let fromText = op["from"]?.stringValue else { throw PatchError("copy operation missing from field") }
                guard let value = get(doc, try pointer(fromText)) else {
                    throw PatchError("copy operation does not apply: doc is missing from path: \(fromText)")
                }
                copied += value.serialized().count
                if copied > maxCopyBytes {
                    throw PatchError("Unable to complete the copy, the accumulated size increase of copy is \(copied), exceeding the limit \(maxCopyBytes)")
                }
                try add(&doc, path, value, pathText: pathText)
            case "test":
                let expected = op["value"] ?? .null
                let actual = get(doc, path) ?? .null
                if actual != expected { throw PatchError("testing value \(pathText) failed: test failed") }
            default:
                throw PatchError("Unexpected kind: \(kind)")
            }
        }
        return doc
    }

    /// Splits a JSON pointer into unescaped tokens (`~1` is `/`, `~0` is `~`).
    static func pointer(_ text: String) throws(PatchError) -> [String] {
        if text.isEmpty { return [] }
        guard text.hasPrefix("/") else { throw PatchError("JSON pointer must be empty or start with a \"/\": \(text)") }
        return text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    static func get(_ doc: JSONValue, _ path: [String]) -> JSONValue? {
        var current = doc
        for token in path {
            switch current {
            case .object(let members):
                guard let next = members[token] else { return nil }
                current = next
            case .array(let items):
                guard let index = Int(token), index >= 0, index < items.count else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    static func add(_ doc: inout JSONValue, _ path: [String], _ value: JSONValue, pathText: String) throws(PatchError) {
        guard let last = path.last else {
            doc = value
            return
        }
        try modifyParent(&doc, path.dropLast(), pathText: pathText, op: "add") { (parent: inout JSONValue) throws(PatchError) in
            switch parent {
            case .object(var members):
                members[last] = value
                parent = .object(members)
            case .array(var items):
                if last == "-" {
                    items.append(value)
                } else {
                    guard let index = Int(last), index >= 0, index <= items.count else {
                        throw PatchError("add operation does not apply: doc is missing path: \(pathText)")
                    }
                    items.insert(value, at: index)
                }
                parent = .array(items)
            default:
                throw PatchError("add operation does not apply: doc is missing path: \(pathText)")
            }
        }
    }

    static func remove(_ doc: inout JSONValue, _ path: [String], pathText: String, op: String) throws(PatchError) -> JSONValue {
        guard let last = path.last else { throw PatchError("\(op) operation does not apply: doc is missing path: \(pathText)") }
        var removed: JSONValue = .null
        try modifyParent(&doc, path.dropLast(), pathText: pathText, op: op) { (parent: inout JSONValue) throws(PatchError) in
            switch parent {
            case .object(var members):
                guard let value = members.removeValue(forKey: last) else {
                    throw PatchError("\(op) operation does not apply: doc is missing key: \(pathText)")
                }
                removed = value
                parent = .object(members)
            case .array(var items):
                guard let index = Int(last), index >= 0, index < items.count else {
                    throw PatchError("\(op) operation does not apply: doc is missing key: \(pathText)")
                }
                removed = items.remove(at: index)
                parent = .array(items)
            default:
                throw PatchError("\(op) operation does not apply: doc is missing path: \(pathText)")
            }
        }
        return removed
    }

    static func modifyParent(_ doc: inout JSONValue, _ path: ArraySlice<String>, pathText: String, op: String,
                             _ body: (inout JSONValue) throws(PatchError) -> Void) throws(PatchError) {
        guard let first = path.first else {
            try body(&doc)
            return
        }
        let rest = path.dropFirst()
        switch doc {
        case .object(var members):
            guard var child = members[first] else { throw PatchError("\(op) operation does not apply: doc is missing path: \(pathText)") }
            try modifyParent(&child, rest, pathText: pathText, op: op, body)
            members[first] = child
            doc = .object(members)
        case .array(var items):
            guard let index = Int(first), index >= 0, index < items.count else {
                throw PatchError("\(op) operation does not apply: doc is missing path: \(pathText)")
            }
            var child = items[index]
            try modifyParent(&child, rest, pathText: pathText, op: op, body)
            items[index] = child
            doc = .array(items)
        default:
            throw PatchError("\(op) operation does not apply: doc is missing path: \(pathText)")
        }
    }
}
