import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The OCI runtime program that runs the containers: runc (Go) or crun (C). Both implement the OCI runtime
/// spec and the same command line (`--root`, `run --detach --bundle --pid-file`, `exec`, `kill`, `delete`,
/// `list`); crun starts a container without a Go runtime to boot, which is most of runc's cost per container.
public enum OCIRuntime: String, Sendable, CaseIterable {
    case runc
    case crun

    /// crun when it is installed and can run here, else runc.
    public static var preferred: OCIRuntime { crun.unavailableReason == nil ? .crun : .runc }

    /// The first one on the usual `PATH` (`/usr/sbin/runc`, `/usr/bin/crun` on Debian).
    public var path: String {
        for directory in ProcessRuntime.defaultPath.split(separator: ":") {
            let path = "\(directory)/\(rawValue)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return self == .runc ? "/usr/sbin/runc" : "/usr/bin/crun"
    }

    public var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// Why containers cannot run here with this program (not root, not installed, a cgroup layout it refuses),
    /// or nil.
    public var unavailableReason: String? {
        if geteuid() != 0 { return "the runc runtime needs root (this process runs as uid \(geteuid()))" }
        guard isInstalled else { return "\(rawValue) is not installed at \(path) (install the \(rawValue) package)" }
        if self == .crun {
            return Self.hybridCgroupProblem(mountInfo: KernelFile.read("/proc/self/mountinfo") ?? "") {
                KernelFile.read("\($0)/cgroup.controllers")
            }
        }
        return nil
    }

    /// crun (1.8) refuses a hybrid host, v1 hierarchies under `/sys/fs/cgroup` beside a cgroup2 one, whose
    /// cgroup2 hierarchy still holds controllers ("cgroups in hybrid mode not supported, drop all controllers
    /// from cgroupv2"): systemd leaves there the controllers nobody mounted as v1, such as hugetlb. Returns
    /// what to do about it, or nil. `controllers` reads a mount point's `cgroup.controllers`.
    static func hybridCgroupProblem(mountInfo: String, controllers: (String) -> String?) -> String? {
        var v1 = false
        var unifiedMounts: [String] = []
        for line in mountInfo.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " "), right = halves[1].split(separator: " ")
            guard left.count >= 5, let type = right.first else { continue }
            if type == "cgroup" { v1 = true }
            if type == "cgroup2" { unifiedMounts.append(String(left[4])) }
        }
        guard v1 else { return nil }
        for mount in unifiedMounts {
            let held = (controllers(mount) ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
            guard !held.isEmpty else { continue }
            let fix = held.map { "mount -t cgroup -o \($0) cgroup /sys/fs/cgroup/\($0)" }.joined(separator: "; ")
            return "crun cannot run on this host's hybrid cgroup layout: the cgroup2 hierarchy at \(mount) holds "
                + "\(held.joined(separator: ", ")) (mount it as a cgroup v1 hierarchy first: mkdir, then \(fix)); use runc"
        }
        return nil
    }
}
