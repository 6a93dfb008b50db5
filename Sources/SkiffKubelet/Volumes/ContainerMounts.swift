import Foundation
import SkiffAPI

/// A container's `volumeMounts` made into runtime mounts, as the kubelet's `makeMounts`: the prepared
/// volume's host path, or with `subPath`/`subPathExpr` the path inside it (created as a directory when
/// missing, and refused when it would lead out of the volume).
enum ContainerMounts {
    static func make(container: core.v1.Container, volumes: [String: PodVolumes.Prepared], environment: [String: String])
        throws(ConfigFailure) -> [ContainerMount]
    {
        let name = container.name
        var mounts: [ContainerMount] = []
        for mount in container.volumeMounts ?? [] {
            let volumeName = mount.name
            guard let volume = volumes[volumeName] else {
                throw ConfigFailure(description: "cannot find volume \"\(volumeName)\" to mount into container \"\(name)\"")
            }
            var subPath = mount.subPath ?? ""
            if let expression = mount.subPathExpr, !expression.isEmpty {
                subPath = try ContainerEnvironment.expandSubPath(expression, environment: environment)
            }
            var hostPath = volume.hostPath
            if !subPath.isEmpty {
                hostPath = try resolve(subPath: subPath, in: volume.hostPath, mountName: volumeName, container: name)
            }
            let readOnly = volume.readOnly || mount.readOnly == true
            mounts.append(ContainerMount(hostPath: hostPath, containerPath: mount.mountPath, readOnly: readOnly))
        }
        return mounts
    }

    /// The host path of `subPath` inside the volume at `root`: made (0755 or the volume's mode) when missing,
    /// symlinks resolved, and kept inside the volume as upstream's safe subpath.
    static func resolve(subPath: String, in root: String, mountName: String, container: String) throws(ConfigFailure) -> String {
        if subPath.hasPrefix("/") { throw ConfigFailure(description: "error SubPath `\(subPath)` must not be an absolute path") }
        if subPath.split(separator: "/").contains("..") {
            throw ConfigFailure(description: "unable to provision SubPath `\(subPath)`: must not contain '..'")
        }
        let fm = FileManager.default
        let path = (root as NSString).appendingPathComponent(subPath)
        let base = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        if (try? fm.attributesOfItem(atPath: path)) == nil {
            let mode = (try? fm.attributesOfItem(atPath: root)[.posixPermissions] as? Int) ?? 0o755
            do {
                try fm.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
            } catch {
                throw ConfigFailure(description: "failed to create subPath directory for volumeMount \"\(mountName)\" of container \"\(container)\"")
            }
        }
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard resolved == base || resolved.hasPrefix(base.hasSuffix("/") ? base : base + "/") else {
            throw ConfigFailure(description: "subpath \"\(resolved)\" not within volume path \"\(base)\"")
        }
        return resolved
    }
}
