import Foundation
import SkiffAPI

/// The files of configMap, secret, downwardAPI and projected volumes, as upstream's volume plugins make
/// their payloads: every key (or only `items`, at their `path`), with `mode` or the volume's `defaultMode`.
enum VolumeProjection {
    /// Which ConfigMap or Secret a volume (or projection) shows, and which of its keys.
    struct ObjectSource {
        var name: String
        var optional: Bool
        var items: [core.v1.KeyToPath]?

        init(name: String?, optional: Bool?, items: [core.v1.KeyToPath]?) {
            self.name = name ?? ""
            self.optional = optional == true
            self.items = items
        }
    }

    /// A ConfigMap's or Secret's files. A missing object is an error unless `optional` (then no files).
    static func objectFiles(_ kind: PodConfigObjects.Kind, source: ObjectSource, volume: String, objects: PodConfigObjects,
                            defaultMode: Int) async throws(ConfigFailure) -> [String: AtomicWriter.File]
    {
        let name = source.name
        let optional = source.optional
        guard let entries = try await objects.entries(kind, name) else {
            if optional { return [:] }
            throw objects.notFound(kind, name)
        }
        guard let items = source.items, !items.isEmpty else {
            return entries.mapValues { AtomicWriter.File(data: $0, mode: defaultMode) }
        }
        var files: [String: AtomicWriter.File] = [:]
        for item in items {
            let key = item.key
            guard let data = entries[key] else {
                if optional { continue }
                throw ConfigFailure(description: kind == .configMap
                    ? "configmap references non-existent config key: \(key)"
                    : "references non-existent secret key: \(key)")
            }
            let mode = item.mode.map(Int.init) ?? defaultMode
            // An item without a path (which validation refuses) is written under its key.
            files[item.path.isEmpty ? key : item.path] = AtomicWriter.File(data: data, mode: mode)
        }
        return files
    }

    /// A downwardAPI volume's (or projection's) `items`: each a `fieldRef` or a `resourceFieldRef`.
    static func downwardFiles(_ items: [core.v1.DownwardAPIVolumeFile]?, downward: DownwardAPI, defaultMode: Int)
        throws(ConfigFailure) -> [String: AtomicWriter.File]
    {
        var files: [String: AtomicWriter.File] = [:]
        for item in items ?? [] {
            let value: String
            do {
                if let field = item.fieldRef {
                    value = try downward.fieldValue(field.fieldPath)
                } else if let resource = item.resourceFieldRef {
                    value = try downward.resourceValue(resource, container: nil)
                } else {
                    continue
                }
            } catch {
                throw ConfigFailure(description: "\(error)")
            }
            let mode = item.mode.map(Int.init) ?? defaultMode
            files[item.path] = AtomicWriter.File(data: Data(value.utf8), mode: mode)
        }
        return files
    }

    /// A projected volume: its sources' files together. `serviceAccountToken` sources are skipped: this
    /// kubelet does not request tokens yet.
    static func projectedFiles(_ source: core.v1.ProjectedVolumeSource, volume: String, objects: PodConfigObjects,
                               downward: DownwardAPI) async throws(ConfigFailure) -> [String: AtomicWriter.File]
    {
        let defaultMode = PodVolumes.mode(source.defaultMode)
        var files: [String: AtomicWriter.File] = [:]
        for projection in source.sources ?? [] {
            var part: [String: AtomicWriter.File] = [:]
            if let configMap = projection.configMap {
                part = try await objectFiles(.configMap, source: ObjectSource(name: configMap.name, optional: configMap.optional,
                                                                                items: configMap.items),
                                             volume: volume, objects: objects, defaultMode: defaultMode)
            } else if let secret = projection.secret {
                part = try await objectFiles(.secret, source: ObjectSource(name: secret.name, optional: secret.optional,
                                                                             items: secret.items),
                                             volume: volume, objects: objects, defaultMode: defaultMode)
            } else if let api = projection.downwardAPI {
                part = try downwardFiles(api.items, downward: downward, defaultMode: defaultMode)
            }
            files.merge(part) { _, new in new }
        }
        return files
    }
}
