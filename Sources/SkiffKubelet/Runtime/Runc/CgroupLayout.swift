import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where the OCI runtime puts a container's cgroups when given a relative `cgroupsPath` (`skiff/pod<uid>/<id>`).
/// runc: under this process's own cgroup in every v1 hierarchy, or under its own cgroup's parent in the v2
/// unified layout (runc's `fs2` rule: the own cgroup has processes, so it cannot delegate controllers). crun:
/// under each hierarchy's root (as upstream's kubelet keeps `kubepods` there).
struct CgroupLayout: Sendable {
    /// One mounted hierarchy: where it is mounted and the directory runc's relative paths start from.
    struct Hierarchy: Sendable, Hashable {
        var mountPoint: String
        var controllers: [String]
        /// The absolute directory relative cgroup paths are joined to.
        var base: String
    }

    var hierarchies: [Hierarchy]
    /// `/sys/fs/cgroup` is cgroup2: runc uses the unified layout only.
    var unified: Bool

    /// The relative path runc is given for a container.
    static func containerPath(podUID: String, id: String) -> String { "skiff/pod\(podUID)/\(id)" }
    static func podPath(podUID: String) -> String { "skiff/pod\(podUID)" }

    /// Reads this process's cgroups (`/proc/self/cgroup`) and the mounted hierarchies (`/proc/self/mountinfo`);
    /// `rootBased` for an OCI runtime that joins relative paths to each hierarchy's root (crun).
    static func current(rootBased: Bool = false) -> CgroupLayout {
        let own = KernelFile.read("/proc/self/cgroup") ?? ""
        let mounts = KernelFile.read("/proc/self/mountinfo") ?? ""
        return parse(ownCgroups: own, mountInfo: mounts, rootBased: rootBased)
    }

    static func parse(ownCgroups: String, mountInfo: String, rootBased: Bool = false) -> CgroupLayout {
        // "4:memory:/a/b" → ["memory": "/a/b"]; "0::/x" → ["": "/x"] (v2).
        var ownPaths: [String: String] = [:]
        for line in ownCgroups.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            ownPaths[String(fields[1])] = String(fields[2])
        }
        var hierarchies: [Hierarchy] = []
        var unified = false
        for line in mountInfo.split(separator: "\n") {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " ")
            let right = halves[1].split(separator: " ")
            guard left.count >= 5, right.count >= 3 else { continue }
            let root = String(left[3]), mountPoint = String(left[4]), type = String(right[0])
            let own: String?
            var controllers: [String] = []
            if type == "cgroup2" {
                own = ownPaths[""]
                if mountPoint == "/sys/fs/cgroup" { unified = true }
            } else if type == "cgroup" {
                controllers = right[2].split(separator: ",").map(String.init).filter { $0 != "rw" && $0 != "ro" }
                let key = ownPaths.keys.first { key in
                    let names = Set(key.split(separator: ",").map(String.init))
                    return !names.isEmpty && names.isSubset(of: Set(controllers))
                }
                own = key.flatMap { ownPaths[$0] }
            } else {
                continue
            }
            guard var path = own else { continue }
            // A hierarchy mounted at a sub-cgroup (inside a cgroup namespace's view) shows paths below its root.
            if root != "/", path.hasPrefix(root) { path = String(path.dropFirst(root.count)) }
            hierarchies.append(Hierarchy(mountPoint: mountPoint, controllers: controllers, base: rootBased ? mountPoint : join(mountPoint, path)))
        }
        if unified && rootBased {
            hierarchies = hierarchies.filter { $0.mountPoint == "/sys/fs/cgroup" }
        } else if unified {
            hierarchies = hierarchies.filter { $0.mountPoint == "/sys/fs/cgroup" }.map {
                var hierarchy = $0
                if hierarchy.base != $0.mountPoint, let slash = hierarchy.base.lastIndex(of: "/") {
                    hierarchy.base = String(hierarchy.base[..<slash])
                }
                return hierarchy
            }
        }
        return CgroupLayout(hierarchies: hierarchies, unified: unified)
    }

    /// `a` and `b` joined with exactly one `/`.
    static func join(_ a: String, _ b: String) -> String {
        let head = a.hasSuffix("/") ? String(a.dropLast()) : a
        let tail = b.drop { $0 == "/" }
        return tail.isEmpty ? head : head + "/" + tail
    }

    /// The directories of a relative cgroup path in every hierarchy.
    func directories(_ relative: String) -> [String] {
        hierarchies.map { Self.join($0.base, relative) }
    }

    /// Whether the kernel's OOM killer killed a process of this cgroup (v1 `memory.oom_control`, v2
    /// `memory.events`: `oom_kill N` with N > 0).
    func recordedOOMKill(_ relative: String) -> Bool {
        let file: String
        if unified {
            guard let directory = directories(relative).first else { return false }
            file = directory + "/memory.events"
        } else {
            guard let memory = hierarchies.first(where: { $0.controllers.contains("memory") }) else { return false }
            file = Self.join(memory.base, relative) + "/memory.oom_control"
        }
        guard let text = KernelFile.read(file) else { return false }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == "oom_kill", let count = Int(fields[1]), count > 0 { return true }
        }
        return false
    }

    /// Removes a relative cgroup directory (and the empty ones below it) in every hierarchy. Cgroup
    /// directories hold only kernel files, so `rmdir` of an empty one is all it takes.
    func remove(_ relative: String) {
        for directory in directories(relative) { Self.removeTree(directory) }
    }

    static func removeTree(_ directory: String) {
        if let children = try? FileManager.default.contentsOfDirectory(atPath: directory) {
            for child in children {
                let path = directory + "/" + child
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                    removeTree(path)
                }
            }
        }
        rmdir(directory)
    }

    /// Whether any hierarchy still has this relative directory.
    func exists(_ relative: String) -> Bool {
        directories(relative).contains { FileManager.default.fileExists(atPath: $0) }
    }
}
