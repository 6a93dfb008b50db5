import SkiffAPI
import SkiffStorage

/// One version of one object as the watch cache keeps it: the JSON a client receives (encoded once,
/// with its resourceVersion) and what selectors match against.
final class CachedObject: Sendable {
    let key: String
    let namespace: String
    let name: String
    /// The revision of this version (the object's resourceVersion; for a deletion, the deletion's revision).
    let revision: Int64
    /// The object as served: JSON with `metadata.resourceVersion` set.
    let json: [UInt8]
    let labels: [String: String]
    /// Values of the fields field selectors may name (`metadata.name`, `spec.nodeName`, …).
    let fields: [String: String]

    init(key: String, namespace: String, name: String, revision: Int64, json: [UInt8], labels: [String: String],
         fields: [String: String]) {
        self.key = key
        self.namespace = namespace
        self.name = name
        self.revision = revision
        self.json = json
        self.labels = labels
        self.fields = fields
    }

    /// Decodes a stored value into the served form; `revision` overrides the value's own (deletions).
    /// A value this server wrote arrives already decoded, and its served JSON is spliced from the stored
    /// bytes: neither a parse nor a serialization per change.
    convenience init(stored: StoredValue, revision: Int64? = nil, fieldsOf: ResourceFields) throws {
        let rv = revision ?? stored.modRevision
        let object = try stored.decoded ?? JSONValue(parsing: stored.value)
        let json = try ObjectLifecycle.servedBytes(stored: stored.value, revision: rv)
        let metadata = object["metadata"]
        var labels: [String: String] = [:]
        if let l = metadata?["labels"]?.objectValue {
            for (k, v) in l { if let s = v.stringValue { labels[k] = s } }
        }
        let namespace = metadata?["namespace"]?.stringValue ?? ""
        let name = metadata?["name"]?.stringValue ?? ""
        self.init(key: stored.key, namespace: namespace, name: name, revision: rv, json: json,
                  labels: labels, fields: fieldsOf.extract(object, namespace: namespace, name: name))
    }

    /// The object parsed again (for patching, tables, field pruning).
    func parsed() throws -> JSONValue { try JSONValue(parsing: json) }
}

/// Which fields of a resource field selectors can use, and how to read them from an object.
struct ResourceFields: Sendable {
    /// Field paths beyond `metadata.name` and `metadata.namespace`.
    let paths: [String]
    /// Extra computed fields (e.g. `spec.unschedulable` as "true"/"false" even when absent).
    let compute: (@Sendable (JSONValue) -> [String: String])?
    /// The names `compute` produces.
    let computed: [String]

    init(paths: [String] = [], computed: [String] = [], compute: (@Sendable (JSONValue) -> [String: String])? = nil) {
        self.paths = paths
        self.computed = computed
        self.compute = compute
    }

    /// Every selectable field name, for the "is not a known field selector" error.
    var supported: [String] { ["metadata.name", "metadata.namespace"] + paths + computed }

    func extract(_ object: JSONValue, namespace: String, name: String) -> [String: String] {
        var fields = ["metadata.name": name, "metadata.namespace": namespace]
        for path in paths {
            let value = object.value(at: path.split(separator: ".").map(String.init))
            switch value {
            case .string(let s)?: fields[path] = s
            case .int(let i)?: fields[path] = String(i)
            case .bool(let b)?: fields[path] = b ? "true" : "false"
            default: fields[path] = ""
            }
        }
        if let compute {
            for (k, v) in compute(object) { fields[k] = v }
        }
        return fields
    }
}
