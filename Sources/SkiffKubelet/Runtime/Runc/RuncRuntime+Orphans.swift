import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// As the child subreaper, the kubelet also inherits container processes whose parent died without
/// waiting: a command of `runc exec` killed together with its runc (a probe that timed out). Nobody
/// else waits for those, so their zombies are reaped here. They are told apart from the kubelet's own
/// children by their PID namespace: only container processes have a pid inside a nested one (`NSpid`
/// lists more than one), and of those only the inits are waited for elsewhere.
extension RuncRuntime {
    /// The container inits whose watcher waits for them, in every runtime of this process (tests run several):
    /// never reaped here, so their exit status reaches the watcher.
    static let watchedInits = Mutex<Set<Int32>>([])
    /// `runc run` calls under way, in every runtime of this process: the init they start may exit before its
    /// pid reaches `watchedInits`, so no scan reaps while one runs.
    static let launching = Mutex<Int>(0)

    /// Scans for orphans a little later, once for all the children that exit meanwhile: every `runc`, CNI
    /// and probe process of the node ends in a SIGCHLD, and a scan reads every process's `/proc` entry.
    func scheduleOrphanScan(after delay: DispatchTimeInterval = .milliseconds(100)) {
        let first = orphanScanPending.withLock { pending in
            defer { pending = true }
            return !pending
        }
        guard first else { return }
        orphanQueue.asyncAfter(deadline: .now() + delay) { [weak self] in
            guard let self else { return }
            orphanScanPending.withLock { $0 = false }
            reapOrphans()
        }
    }

    func reapOrphans() {
        if Self.launching.withLock({ $0 > 0 }) {
            scheduleOrphanScan()
            return
        }
        let me = getpid()
        let inits = Self.watchedInits.withLock { $0 }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
        for entry in entries {
            guard let pid = Int32(entry), !inits.contains(pid),
                  let stat = KernelFile.read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { continue }
            // After the command: state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, fields[0] == "Z", Int32(fields[1]) == me,
                  let status = KernelFile.read("/proc/\(pid)/status"),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("NSpid:") }),
                  line.split(whereSeparator: { $0 == " " || $0 == "\t" }).count > 2 else { continue }
            var code: Int32 = 0
            if waitpid(pid, &code, WNOHANG) == pid {
                logger.debug("reaped an orphaned container process", metadata: ["pid": "\(pid)"])
            }
        }
    }
}
