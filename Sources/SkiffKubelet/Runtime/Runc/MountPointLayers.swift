import SkiffHost
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Docker's "init layer", shared by every container of an image: the mount points each container needs
/// (`/proc`, `/sys`, `/dev`, `/etc` and the three `/etc` files the kubelet binds) that the image lacks, as a
/// read-only layer above the image's, made once per image on the state tmpfs. Without it runc creates them
/// in each container's writable layer, where overlayfs makes each one on disk through its work directory.
final class MountPointLayers: Sendable {
    static let directories = ["proc", "sys", "dev", "etc"]
    static let etcFiles = ["etc/hosts", "etc/hostname", "etc/resolv.conf"]

    /// `DATA_DIR/run/mountpoints`.
    let directory: URL
    /// By the image's layer paths: the layer to add, or nil when the image has every mount point.
    let known = Mutex<[String: URL?]>([:])

    init(directory: URL) {
        self.directory = directory
    }

    /// The layer to put above `layers` (bottom to top), or nil when nothing is missing.
    func layer(above layers: [URL]) throws -> URL? {
        let key = layers.map(\.path).joined(separator: "\n")
        if let found = known.withLock({ $0[key] }) { return found }
        let missing = Self.missingEntries(in: layers)
        var made: URL?
        if !missing.isEmpty {
            let target = directory.appendingPathComponent(Self.name(for: key))
            if access(target.path, F_OK) != 0 { try Self.make(missing, at: target) }
            made = target
        }
        known.withLock { $0[key] = made }
        return made
    }

    /// The mount points no layer has. `/etc`'s files are left to runc when the image's `/etc` is not a
    /// directory: a directory here would hide it.
    static func missingEntries(in layers: [URL]) -> [String] {
        func topmost(_ entry: String) -> stat? {
            for layer in layers.reversed() {
                var info = stat()
                if lstat(layer.path + "/" + entry, &info) == 0 { return info }
            }
            return nil
        }
        var missing = directories.filter { topmost($0) == nil }
        let etc = topmost("etc")
        if etc == nil || etc.map({ $0.st_mode & S_IFMT == S_IFDIR }) == true {
            missing += etcFiles.filter { topmost($0) == nil }
        } else {
            missing.removeAll { $0 == "etc" }
        }
        return missing
    }

    /// Builds the layer beside `target` and renames it into place, so a concurrent start sees all or nothing.
    static func make(_ entries: [String], at target: URL) throws {
        let temporary = target.path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        try HostFiles.makeDirectories(temporary)
        for entry in entries {
            if etcFiles.contains(entry) {
                try HostFiles.makeDirectories(temporary + "/etc")
                try HostFiles.write([], to: temporary + "/" + entry)
            } else {
                try HostFiles.makeDirectories(temporary + "/" + entry)
            }
        }
        if rename(temporary, target.path) != 0 {
            let code = errno
            try? FileManager.default.removeItem(atPath: temporary)
            // Another start made it first.
            guard code == EEXIST || code == ENOTEMPTY else { throw HostCommand.error("cannot create \(target.path)", code) }
        }
    }

    /// A stable name for a list of layer paths (FNV-1a, 64 bits).
    static func name(for key: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Removes every layer, once no container uses them (the runtime's shutdown).
    func removeAll() {
        known.withLock { $0.removeAll() }
        try? FileManager.default.removeItem(at: directory)
    }
}
