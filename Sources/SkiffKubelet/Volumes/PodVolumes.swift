import Foundation
import SkiffAPI

#if canImport(Glibc)
    import Glibc
#endif

/// A pod's volumes prepared on the host, as the kubelet's volume plugins set them up: under
/// `<pod dir>/volumes/<plugin>/<name>` (plugins `kubernetes.io~empty-dir`, `~configmap`, `~secret`,
/// `~downward-api`, `~projected`); a hostPath volume is the host path itself, after its `type` check.
/// Setting up again is cheap and brings configMap/secret files up to date.
struct PodVolumes {
    /// A volume ready to be mounted.
    struct Prepared: Sendable, Hashable {
        var hostPath: String
        /// configMap, secret, downwardAPI and projected volumes are always mounted read-only.
        var readOnly: Bool
    }

    /// A volume that could not be set up: the `FailedMount` event's words.
    struct Failure: Error, Sendable {
        var volume: String
        var message: String
        var event: String { "MountVolume.SetUp failed for volume \"\(volume)\" : \(message)" }
    }

    let podDirectory: URL

    var volumesDirectory: URL { podDirectory.appendingPathComponent("volumes") }

    func directory(plugin: String, name: String) -> URL {
        volumesDirectory.appendingPathComponent("kubernetes.io~\(plugin)").appendingPathComponent(name)
    }

    /// Sets up every volume of the pod: those ready by name, and every failure.
    func setUp(pod: core.v1.Pod, objects: PodConfigObjects, downward: DownwardAPI) async
        -> (prepared: [String: Prepared], failures: [Failure])
    {
        var prepared: [String: Prepared] = [:]
        var failures: [Failure] = []
        for volume in pod.volumes {
            let name = volume.name
            do {
                prepared[name] = try await setUp(volume, name: name, objects: objects, downward: downward)
            } catch {
                failures.append(Failure(volume: name, message: "\(error)"))
            }
        }
        return (prepared, failures)
    }

    private func setUp(_ volume: core.v1.Volume, name: String, objects: PodConfigObjects, downward: DownwardAPI)
        async throws(ConfigFailure) -> Prepared
    {
        if let emptyDir = volume.emptyDir {
            let dir = directory(plugin: "empty-dir", name: name)
            try Self.makeDirectory(dir.path, mode: 0o777)
            if emptyDir.medium == "Memory" {
                try Self.mountTmpfs(at: dir.path, sizeLimit: emptyDir.sizeLimit?.value)
            }
            return Prepared(hostPath: dir.path, readOnly: false)
        }
        if let hostPath = volume.hostPath {
            try HostPathType.check(path: hostPath.path, type: hostPath.type ?? "")
            return Prepared(hostPath: hostPath.path, readOnly: false)
        }
        let plugin: String
        let payload: [String: AtomicWriter.File]
        if let source = volume.configMap {
            plugin = "configmap"
            payload = try await VolumeProjection.objectFiles(
                .configMap, source: .init(name: source.name, optional: source.optional, items: source.items), volume: name,
                objects: objects, defaultMode: Self.mode(source.defaultMode))
        } else if let source = volume.secret {
            plugin = "secret"
            payload = try await VolumeProjection.objectFiles(
                .secret, source: .init(name: source.secretName, optional: source.optional, items: source.items), volume: name,
                objects: objects, defaultMode: Self.mode(source.defaultMode))
        } else if let source = volume.downwardAPI {
            plugin = "downward-api"
            payload = try VolumeProjection.downwardFiles(source.items, downward: downward, defaultMode: Self.mode(source.defaultMode))
        } else if let source = volume.projected {
            plugin = "projected"
            payload = try await VolumeProjection.projectedFiles(source, volume: name, objects: objects, downward: downward)
        } else {
            // Other plugins (persistentVolumeClaim, csi …) are not supported on this node yet.
            throw ConfigFailure(description: "volume type \(Self.sourceKind(volume)) is not supported by this kubelet")
        }
        let dir = directory(plugin: plugin, name: name)
        if plugin == "secret" || plugin == "projected" {
            // Secrets stay off the disk: upstream backs these volumes with a memory emptyDir.
            try Self.makeDirectory(dir.path, mode: 0o755)
            try Self.mountTmpfs(at: dir.path, sizeLimit: nil)
        }
        try AtomicWriter(directory: dir).write(payload)
        return Prepared(hostPath: dir.path, readOnly: true)
    }

    /// The member naming a volume's source (`persistentVolumeClaim`, `csi` …), as the pod spec spells it.
    static func sourceKind(_ volume: core.v1.Volume) -> String {
        volume.json.objectValue?.keys.first { $0 != "name" } ?? "unknown"
    }

    static func mode(_ value: Int32?) -> Int { Int(value ?? 0o644) }

    static func makeDirectory(_ path: String, mode: Int) throws(ConfigFailure) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        } catch {
            throw ConfigFailure(description: "mkdir \(path): \(error)")
        }
    }

    // MARK: tmpfs

    /// `emptyDir.medium: Memory`: a tmpfs, as upstream's `setupTmpfs`, when the kubelet may mount (root);
    /// otherwise the directory stays on disk.
    static func mountTmpfs(at path: String, sizeLimit: Int64?) throws(ConfigFailure) {
        guard geteuid() == 0, !mountPoints().contains(path) else { return }
        let options = sizeLimit.map { "size=\($0)" } ?? ""
        guard mount("tmpfs", path, "tmpfs", 0, options) == 0 else {
            throw ConfigFailure(description: "mount tmpfs on \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Unmounts what the pod's volumes mounted (tmpfs) and removes the volumes directory.
    func tearDown() {
        unmount()
        try? FileManager.default.removeItem(at: volumesDirectory)
    }

    /// Unmounts the pod's tmpfs volumes (the kubelet is shutting down, and its containers with it).
    func unmount() {
        let base = volumesDirectory.path + "/"
        for point in Self.mountPoints().sorted(by: >) where point.hasPrefix(base) {
            umount2(point, Int32(MNT_DETACH))
        }
    }

    /// The mount points of this mount namespace (`/proc/self/mounts`, octal escapes decoded).
    static func mountPoints() -> Set<String> {
        guard let text = readWhole("/proc/self/mounts") else { return [] }
        var points: Set<String> = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { continue }
            points.insert(String(fields[1]).replacingOccurrences(of: "\\040", with: " "))
        }
        return points
    }

    /// A /proc file read to its end: it reports no size, and one `read` returns only a page of it.
    static func readWhole(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            data.append(contentsOf: buffer.prefix(count))
        }
        return String(decoding: data, as: UTF8.self)
    }
}
