import SkiffAPI

/// Converts one resource's objects between its storage version and another version the server
/// serves (upstream's per-kind conversion functions, on JSON). Both directions must round-trip
/// without loss: what the served version cannot express travels in annotations, as upstream does.
protocol VersionConverter: Sendable {
    /// A stored object as the served version shows it (apiVersion and kind are set by the caller).
    func fromStorage(_ object: JSONValue) -> JSONValue
    /// An object in the served version as it is stored (apiVersion and kind are set by the caller).
    func toStorage(_ object: JSONValue) -> JSONValue
    /// The served version's field-selector labels and the storage labels they select on
    /// (upstream's field label conversion functions).
    var fieldLabels: [String: String] { get }
    /// A storage field path of a validation problem, as the served version names it; `object` is the
    /// stored form the problem was found in.
    func servedPath(_ storagePath: String, in object: JSONValue) -> String
    /// Checks only the served version makes when it creates an object, with served field paths
    /// (events.k8s.io requires fields core/v1 leaves optional).
    func validateCreate(_ served: JSONValue) -> [FieldProblem]
}

extension VersionConverter {
    func validateCreate(_ served: JSONValue) -> [FieldProblem] { [] }
}

/// How a served version that is not the storage version reaches its storage: the storage version's
/// resource (whose cache, strategy and keys it shares) and the converter between the two.
struct VersionConversion: Sendable {
    let storage: ServedResource
    let converter: any VersionConverter
    /// The served version's `apiVersion` and kind.
    let apiVersion: String
    let kind: String

    /// A stored object in the served version.
    func served(_ object: JSONValue) -> JSONValue {
        var result = converter.fromStorage(object)
        result["apiVersion"] = .string(apiVersion)
        result["kind"] = .string(kind)
        return result
    }

    /// A served-version object in the storage version.
    func stored(_ object: JSONValue) -> JSONValue {
        var result = converter.toStorage(object)
        result["apiVersion"] = .string(storage.apiVersion)
        result["kind"] = .string(storage.kind)
        return result
    }

    /// Stored JSON bytes as served JSON bytes.
    func servedJSON(_ bytes: [UInt8]) throws -> [UInt8] {
        served(try JSONValue(parsing: bytes)).serialized()
    }

    /// A cached (stored-form) object in the served version; key, revision, labels and selectable
    /// fields stay those of the stored object (selectors are translated to storage labels instead).
    func served(_ object: CachedObject) throws -> CachedObject {
        CachedObject(key: object.key, namespace: object.namespace, name: object.name, revision: object.revision,
                     json: try servedJSON(object.json), labels: object.labels, fields: object.fields)
    }

    /// Validation problems found in a stored-form object, with the served version's field paths.
    func servedProblems(_ problems: [FieldProblem], in object: JSONValue) -> [FieldProblem] {
        problems.map { problem in
            var mapped = problem
            mapped.field = converter.servedPath(problem.field, in: object)
            return mapped
        }
    }
}

/// Field-path rewriting shared by converters: a storage path prefix replaced by the served one.
enum FieldPathRenames {
    static func rename(_ path: String, _ renames: [(from: String, to: String)]) -> String {
        for (from, to) in renames {
            if path == from { return to }
            if path.hasPrefix(from), let next = path.dropFirst(from.count).first, next == "." || next == "[" {
                return to + path.dropFirst(from.count)
            }
        }
        return path
    }
}
