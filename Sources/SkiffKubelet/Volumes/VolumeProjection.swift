import Foundation
import SkiffAPI

/// The files of configMap, secret, downwardAPI and projected volumes, as upstream's volume plugins make
/// their payloads: every key (or only `items`, at their `path`), with `mode` or the volume's `defaultMode`.
enum VolumeProjection {
    /// A ConfigMap's or Secret's files. A missing object is an error unless `optional` (then no files).
    static func objectFiles(_ kind: PodConfigObjects.Kind, source: JSONValue, volume: String, objects: PodConfigObjects,
                            defaultMode: Int) async throws(ConfigFailure) -> [String: AtomicWriter.File]
    {
        let name = source["name"]?.stringValue ?? ""
        let optional = source["optional"]?.boolValue == true
        guard let entries = try await objects.entries(kind, name) else {
            if optional { return [:] }
            throw objects.notFound(kind, name)
        }
        guard let items = source["items"]?.arrayValue, !items.isEmpty else {
            return entries.mapValues { AtomicWriter.File(data: $0, mode: defaultMode) }
        }
        var files: [String: AtomicWriter.File] = [:]
        for item in items {
            let key = item["key"]?.stringValue ?? ""
            guard let data = entries[key] else {
                if optional { continue }
                throw ConfigFailure(description: kind == .configMap
                    ? "configmap references non-existent config key: \(key)"
                    : "references non-existent secret key: \(key)")
            }
            let mode = item["mode"]?.intValue.map(Int.init) ?? defaultMode
            files[item["path"]?.stringValue ?? key] = AtomicWriter.File(data: data, mode: mode)
        }
        return files
    }

    /// A downwardAPI volume's (or projection's) `items`: each a `fieldRef` or a `resourceFieldRef`.
    static func downwardFiles(_ source: JSONValue, downward: DownwardAPI, pod: JSONValue, defaultMode: Int)
        throws(ConfigFailure) -> [String: AtomicWriter.File]
    {
        var files: [String: AtomicWriter.File] = [:]
        for item in source["items"]?.arrayValue ?? [] {
            let path = item["path"]?.stringValue ?? ""
            let value: String
            do {
                if let field = item["fieldRef"] {
                    value = try downward.fieldValue(field["fieldPath"]?.stringValue ?? "")
                } else if let resource = item["resourceFieldRef"] {
                    value = try downward.resourceValue(resource, container: nil)
                } else {
                    continue
                }
            } catch {
                throw ConfigFailure(description: "\(error)")
            }
            let mode = item["mode"]?.intValue.map(Int.init) ?? defaultMode
            files[path] = AtomicWriter.File(data: Data(value.utf8), mode: mode)
        }
        return files
    }

    /// A projected volume: its sources' files together. `serviceAccountToken` sources are skipped: this
    /// kubelet does not request tokens yet.
    static func projectedFiles(_ source: JSONValue, volume: String, objects: PodConfigObjects, downward: DownwardAPI,
                               pod: JSONValue) async throws(ConfigFailure) -> [String: AtomicWriter.File]
    {
        let defaultMode = PodVolumes.mode(source["defaultMode"])
        var files: [String: AtomicWriter.File] = [:]
        for projection in source["sources"]?.arrayValue ?? [] {
            var part: [String: AtomicWriter.File] = [:]
            if let configMap = projection["configMap"] {
                part = try await objectFiles(.configMap, source: configMap, volume: volume, objects: objects,
                                             defaultMode: defaultMode)
            } else if let secret = projection["secret"] {
                part = try await objectFiles(.secret, source: secret, volume: volume, objects: objects, defaultMode: defaultMode)
            } else if let api = projection["downwardAPI"] {
                part = try downwardFiles(api, downward: downward, pod: pod, defaultMode: defaultMode)
            }
            files.merge(part) { _, new in new }
        }
        return files
    }
}
