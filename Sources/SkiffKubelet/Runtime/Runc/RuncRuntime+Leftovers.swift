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
        if let listed = try? runc(["list", "--format", "json"]), listed.succeeded,
           let entries = try? JSONSerialization.jsonObject(with: listed.stdout) as? [[String: Any]] {
            for entry in entries {
                guard let id = entry["id"] as? String else { continue }
                // Containers started by this run are not leftovers.
                if state.withLock({ $0.containers[id] != nil }) { continue }
                logger.info("removing a container left by an earlier run", metadata: [
                    "id": "\(id)", "status": "\(entry["status"] as? String ?? "")", "pid": "\(entry["pid"] as? Int ?? 0)",
                ])
                _ = try? runc(["kill", id, "KILL"])
                _ = try? runc(["delete", "--force", id])
                if let bundle = entry["bundle"] as? String { removeBundle(URL(fileURLWithPath: bundle)) }
            }
        }
        let known = state.withLock { Set($0.sandboxes.keys) }
        guard let pods = try? FileManager.default.contentsOfDirectory(atPath: podsDirectory.path) else { return }
        for uid in pods where !known.contains(uid) {
            let directory = podDirectory(uid: uid)
            // Bundles of runs runc no longer lists (it died between mount and create).
            for container in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
                let containerDirectory = directory.appendingPathComponent(container)
                for run in (try? FileManager.default.contentsOfDirectory(atPath: containerDirectory.path)) ?? []
                where Int(run) != nil {
                    removeBundle(containerDirectory.appendingPathComponent(run))
                }
            }
            let hadNamespaces = FileManager.default.fileExists(atPath: directory.appendingPathComponent("ns").path)
            guard hadNamespaces || cgroups.exists(CgroupLayout.podPath(podUID: uid)) else { continue }
            logger.info("removing a pod sandbox left by an earlier run", metadata: ["pod": "\(uid)"])
            let hostNetwork = !FileManager.default.fileExists(atPath: directory.appendingPathComponent("ns/net").path)
            tearDownPod(uid: uid, hostNetwork: hostNetwork, address: nil, removeDirectory: false)
        }
    }
}
