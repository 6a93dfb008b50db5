import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How a `process` container's root is built so its volumes are at their mountPaths without copying the
/// host: a tmpfs whose top-level entries are bind mounts (or symlinks) of the host's, except the directories
/// on the way to a mountPath, which are made on the tmpfs and filled with binds of the host directory's other
/// entries; the volumes are bound at their mountPaths, and the tmpfs becomes the root. Bind mounts need no
/// new mount points on the host, and everything but the volumes is the host's own file, as before.
struct ContainerRootPlan: Equatable {
    enum Step: Equatable, CustomStringConvertible {
        case tmpfs(String)
        case makeDirectory(String)
        case makeFile(String)
        case symlink(destination: String, at: String)
        case bind(source: String, target: String, readOnly: Bool)
        case pivotRoot(String)
        /// Detaches a mount if there is one.
        case detach(String)

        /// The step as the shell command doing the same, for errors.
        var description: String {
            switch self {
            case .tmpfs(let target): "mount -t tmpfs tmpfs \(target)"
            case .makeDirectory(let target): "mkdir -p \(target)"
            case .makeFile(let target): "touch \(target)"
            case .symlink(let destination, let at): "ln -s \(destination) \(at)"
            case .bind(let source, let target, let readOnly): "mount --rbind\(readOnly ? " -o ro" : "") \(source) \(target)"
            case .pivotRoot(let target): "pivot_root \(target)"
            case .detach(let target): "umount -l \(target)"
            }
        }
    }

    /// What the host has at a path, as `lstat` sees it.
    enum EntryKind: Equatable, Sendable { case directory, symlink(String), other }

    /// The host as the plan reads it: a directory's entries and what a path is.
    struct Host: Sendable {
        var entries: @Sendable (String) -> [String]
        var kind: @Sendable (String) -> EntryKind?

        /// The real file system.
        static let live = Host(
            entries: { path in ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() },
            kind: { path in
                var info = stat()
                guard lstat(path, &info) == 0 else { return nil }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: return .directory
                case S_IFLNK: return .symlink((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "")
                default: return .other
                }
            })
    }

    struct PlanError: Error, CustomStringConvertible {
        var description: String
    }

    let steps: [Step]

    /// The steps that build the root in `newRoot` (an empty directory on the host) with `mounts` in place.
    init(newRoot: String, mounts: [ContainerMount], host: Host = .live) throws(PlanError) {
        var targets: [(path: String, mount: ContainerMount)] = []
        for mount in mounts {
            let path = Self.resolve(Self.normalize(mount.containerPath), host: host)
            if path == "/" { throw PlanError(description: "a volume cannot be mounted at / (mountPath \"\(mount.containerPath)\")") }
            targets.append((path, mount))
        }
        // Outer mounts first, so a mount inside another volume lands in it; equal paths keep their order.
        targets = targets.enumerated().sorted {
            let (a, b) = ($0.element.path.split(separator: "/").count, $1.element.path.split(separator: "/").count)
            return a != b ? a < b : $0.offset < $1.offset
        }.map(\.element)
        let targetPaths = Set(targets.map(\.path))
        func underAnotherTarget(_ path: String) -> Bool {
            targetPaths.contains { $0 == path || path.hasPrefix($0 + "/") }
        }
        // The directories to make on the tmpfs: every ancestor of a mountPath not already inside a volume.
        var shadowed = Set<String>()
        for target in targetPaths {
            var ancestor = (target as NSString).deletingLastPathComponent
            while ancestor != "/" {
                if !underAnotherTarget(ancestor) { shadowed.insert(ancestor) }
                ancestor = (ancestor as NSString).deletingLastPathComponent
            }
        }

        var steps: [Step] = [.tmpfs(newRoot)]
        func inRoot(_ path: String) -> String { newRoot + path }
        func populate(_ directory: String) {
            let prefix = directory == "/" ? "/" : directory + "/"
            var names = Set(host.entries(directory))
            for path in shadowed where (path as NSString).deletingLastPathComponent == directory {
                names.insert((path as NSString).lastPathComponent)
            }
            for name in names.sorted() {
                let path = prefix + name
                if shadowed.contains(path) {
                    steps.append(.makeDirectory(inRoot(path)))
                    populate(path)
                    continue
                }
                if targetPaths.contains(path) || path == newRoot { continue }
                switch host.kind(path) {
                case .directory:
                    steps.append(.makeDirectory(inRoot(path)))
                    steps.append(.bind(source: path, target: inRoot(path), readOnly: false))
                case .symlink(let destination):
                    steps.append(.symlink(destination: destination, at: inRoot(path)))
                case .other:
                    steps.append(.makeFile(inRoot(path)))
                    steps.append(.bind(source: path, target: inRoot(path), readOnly: false))
                case nil:
                    continue
                }
            }
        }
        populate("/")
        for (path, mount) in targets {
            if host.kind(mount.hostPath) == .directory || host.kind(mount.hostPath) == nil {
                steps.append(.makeDirectory(inRoot(path)))
            } else {
                steps.append(.makeDirectory(inRoot((path as NSString).deletingLastPathComponent)))
                steps.append(.makeFile(inRoot(path)))
            }
            steps.append(.bind(source: mount.hostPath, target: inRoot(path), readOnly: mount.readOnly))
        }
        steps.append(.pivotRoot(newRoot))
        // The bind of the host directory holding `newRoot` took a copy of the tmpfs mounted there.
        steps.append(.detach(newRoot))
        self.steps = steps
    }

    /// An absolute path without `.`, `..` or repeated slashes (a relative mountPath is relative to the root,
    /// as runc takes it).
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// `path` with the host's symlinks among its ancestors followed (a mountPath under `/bin` on a merged-usr
    /// system is under `/usr/bin`), as runc resolves a mountPath inside the rootfs.
    static func resolve(_ path: String, host: Host) -> String {
        var resolved = path
        for _ in 0..<40 {
            let parts = resolved.split(separator: "/").map(String.init)
            var prefix = ""
            var changed = false
            for (index, part) in parts.dropLast().enumerated() {
                let candidate = prefix + "/" + part
                if case .symlink(let destination) = host.kind(candidate) {
                    let base = destination.hasPrefix("/") ? destination : (prefix.isEmpty ? "/" : prefix) + "/" + destination
                    resolved = normalize(base + "/" + parts[(index + 1)...].joined(separator: "/"))
                    changed = true
                    break
                }
                prefix = candidate
            }
            if !changed { return resolved }
        }
        return resolved
    }

    /// Whether `path` (normalized) is a mountPath or inside one: it exists only in the container's root.
    static func isInsideMount(_ path: String, mounts: [ContainerMount]) -> Bool {
        let normalized = normalize(path)
        return mounts.contains {
            let target = normalize($0.containerPath)
            return normalized == target || normalized.hasPrefix(target + "/")
        }
    }
}
