import SkiffHost
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// What an earlier kubelet left when it died without tearing down (kill -9, a crash): containers runc
/// still knows, root filesystems and namespace files still mounted, addresses still allocated, cgroups.
/// None of it can be adopted (their inits are no longer this process's children), so all of it goes; the
/// pods' containers start again. Logs and volumes in the pods' directories are kept.
extension RuncRuntime {
    public func cleanUpLeftovers() {
        removeContainers(listedIn: runcRoot)
        // Kubelets before the tmpfs kept runc's state on disk.
        if FileManager.default.fileExists(atPath: legacyRuncRoot.path) {
            removeContainers(listedIn: legacyRuncRoot)
            try? FileManager.default.removeItem(at: legacyRuncRoot)
        }
        let known = state.withLock { Set($0.sandboxes.keys) }
        let fm = FileManager.default
        let uids = Set(((try? fm.contentsOfDirectory(atPath: podsDirectory.path)) ?? [])
            + ((try? fm.contentsOfDirectory(atPath: podStatesDirectory.path)) ?? []))
        for uid in uids.sorted() where !known.contains(uid) {
            let directory = podDirectory(uid: uid), stateDirectory = podStateDirectory(uid: uid)
            // Bundles of runs runc no longer lists (it died between mount and create), their writable layers,
            // and bundles on disk from before the tmpfs.
            for base in [stateDirectory, directory] {
                for container in (try? fm.contentsOfDirectory(atPath: base.path)) ?? [] {
                    let containerDirectory = base.appendingPathComponent(container)
                    for run in (try? fm.contentsOfDirectory(atPath: containerDirectory.path)) ?? [] where Int(run) != nil {
                        removeBundle(containerDirectory.appendingPathComponent(run))
                    }
                }
            }
            // Kubelets before the tmpfs bound the namespace files in the pod's own directory.
            let legacyNamespaces = directory.appendingPathComponent("ns")
            let hadLegacyNamespaces = fm.fileExists(atPath: legacyNamespaces.path)
            let hostNetwork = ![stateDirectory, directory].contains { fm.fileExists(atPath: $0.appendingPathComponent("ns/net").path) }
            guard fm.fileExists(atPath: stateDirectory.path) || hadLegacyNamespaces
                || cgroups.exists(CgroupLayout.podPath(podUID: uid)) else { continue }
            logger.info("removing a pod sandbox left by an earlier run", metadata: ["pod": "\(uid)"])
            if hadLegacyNamespaces {
                guard HostMounts.unmountAll(under: legacyNamespaces.path) else {
                    logger.warning("cannot unmount the pod's old namespace files; keeping them", metadata: ["pod": "\(uid)"])
                    continue
                }
                try? fm.removeItem(at: legacyNamespaces)
            }
            tearDownPod(uid: uid, hostNetwork: hostNetwork, address: nil, removeDirectory: false)
        }
    }

    /// Kills and deletes every container runc or crun lists under `root` that this runtime did not start: each
    /// program keeps its own state format, and an earlier kubelet may have run the other one.
    private func removeContainers(listedIn root: URL) {
        for program in OCIRuntime.allCases where program.isInstalled {
            removeContainers(listedIn: root, by: program)
        }
    }

    private func removeContainers(listedIn root: URL, by program: OCIRuntime) {
        func run(_ arguments: [String]) throws -> HostCommand.Result {
            program == oci ? try runc(arguments, root: root) : try HostCommand.run(program.path, ["--root", root.path] + arguments)
        }
        guard let listed = try? run(["list", "--format", "json"]), listed.succeeded,
              let entries = try? JSONSerialization.jsonObject(with: listed.stdout) as? [[String: Any]] else { return }
        for entry in entries {
            guard let id = entry["id"] as? String else { continue }
            // Containers started by this run are not leftovers.
            if state.withLock({ $0.containers[id] != nil }) { continue }
            logger.info("removing a container left by an earlier run", metadata: [
                "id": "\(id)", "status": "\(entry["status"] as? String ?? "")", "pid": "\(entry["pid"] as? Int ?? 0)",
            ])
            _ = try? run(["kill", id, "KILL"])
            _ = try? run(["delete", "--force", id])
            if let bundle = entry["bundle"] as? String { removeBundle(URL(fileURLWithPath: bundle)) }
        }
    }
}
