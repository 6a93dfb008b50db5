import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The tmpfs at `DATA_DIR/run` that holds what the runc runtime keeps only while containers run: runc's own
/// state, the bundles (`config.json` and the root filesystem's mount point), the pods' namespace files and
/// `/etc` files. containerd keeps the same under `/run`. None of it may outlive a reboot (the containers do
/// not), and on a disk it costs a file creation each, which on ext4 without a journal scans every inode
/// deleted in the last minute or more (`recently_deleted`): a third of a pod's start-up on a node that has
/// just deleted pods. Logs, volumes and the containers' writable layers stay on disk.
enum StateMount {
    /// Mounts the tmpfs at `path` unless one is there already (a kubelet restarted after kill -9 finds the
    /// state its predecessor left). Returns why it could not; the directory is then used as it is.
    static func prepare(_ path: String) -> String? {
        do { try HostFiles.makeDirectories(path) } catch { return "\(error)" }
        if isMountPoint(path) { return nil }
        // Only small files live here; the size caps what a runaway bug could take from memory.
        guard mount("tmpfs", path, "tmpfs", UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), "mode=0700,size=256m") == 0 else {
            return "cannot mount a tmpfs at \(path): \(String(cString: strerror(errno)))"
        }
        return nil
    }

    /// Whether a file system is mounted exactly at `path`.
    static func isMountPoint(_ path: String) -> Bool {
        HostMounts.mountPoints(under: path).contains(path)
    }

    /// Unmounts the tmpfs once nothing is left on it but empty directories, so a stopped node leaves no
    /// mount behind; state still there (containers a kill left) keeps it mounted for the next kubelet.
    @discardableResult
    static func release(_ path: String) -> Bool {
        guard isMountPoint(path), !holdsFiles(path), HostMounts.mountPoints(under: path) == [path] else { return false }
        return HostMounts.unmount(path)
    }

    /// Whether anything but directories lies under `path`.
    static func holdsFiles(_ path: String) -> Bool {
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return false }
        while enumerator.nextObject() != nil {
            if enumerator.fileAttributes?[.type] as? FileAttributeType != .typeDirectory { return true }
        }
        return false
    }
}
