import SkiffHost
import CLinuxExtras
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A pod's namespaces, made in-process: a thread of its own `unshare`s the network, IPC and UTS namespaces
/// (only IPC for `hostNetwork`), sets the hostname, brings `lo` up, attaches the pod to the bridge and binds
/// each namespace to a file, which keeps it alive after the thread ends. Namespaces belong to a thread, so
/// no other work ever runs on that thread; the rest of the kubelet stays in the host's namespaces.
enum SandboxNamespaces {
    static let network: Int32 = 0x4000_0000, ipc: Int32 = 0x0800_0000, uts: Int32 = 0x0400_0000

    /// Makes the namespaces and binds them to `directory/net|ipc|uts` (the files exist); returns the pod's
    /// address when `bridge` gave it one.
    static func create(in directory: URL, hostNetwork: Bool, hostname: String, podUID: String,
                       bridge: BridgeNetwork?) throws -> UInt32? {
        let outcome = Mutex<Result<UInt32?, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let result = Result<UInt32?, any Error> {
                try setUp(in: directory, hostNetwork: hostNetwork, hostname: hostname, podUID: podUID, bridge: bridge)
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        thread.stackSize = 256 * 1024
        thread.name = "skiff-sandbox"
        thread.start()
        done.wait()
        guard let result = outcome.withLock({ $0 }) else {
            throw ContainerRuntimeError(reason: "RunContainerError", message: "the pod's namespaces were not made")
        }
        do {
            return try result.get()
        } catch let error as ContainerRuntimeError {
            throw error
        } catch {
            throw ContainerRuntimeError(reason: "RunContainerError", message: "cannot set up the pod's network: \(error)")
        }
    }

    /// Runs on the sandbox's own thread, which ends with it.
    private static func setUp(in directory: URL, hostNetwork: Bool, hostname: String, podUID: String,
                              bridge: BridgeNetwork?) throws -> UInt32? {
        // Opened before the unshare, so they stay in the host's namespace.
        let bridgeIndex = hostNetwork ? nil : try bridge?.ensureBridge()
        let host = bridgeIndex == nil ? nil : try Netlink()
        let kinds: [(name: String, flag: Int32)] = hostNetwork ? [("ipc", ipc)] : [("net", network), ("ipc", ipc), ("uts", uts)]
        guard unshare(kinds.reduce(0) { $0 | $1.flag }) == 0 else {
            throw HostCommand.error("cannot create the pod's namespaces (unshare)", errno)
        }
        if !hostNetwork {
            guard hostname.withCString({ sethostname($0, strlen($0)) }) == 0 else {
                throw HostCommand.error("cannot set the pod's hostname", errno)
            }
        }
        for kind in kinds {
            let file = directory.appendingPathComponent(kind.name).path
            guard mount("/proc/thread-self/ns/\(kind.name)", file, nil, UInt(MS_BIND), nil) == 0 else {
                throw HostCommand.error("cannot bind the pod's \(kind.name) namespace to \(file)", errno)
            }
        }
        guard !hostNetwork else { return nil }
        let pod = try Netlink()
        try pod.request(.link(Netlink.Message.newLink, index: 1, up: true), "bring the pod's lo up")
        guard let bridge, let host, let bridgeIndex else { return nil }
        let namespace = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard namespace >= 0 else { throw HostCommand.error("cannot open the pod's network namespace", errno) }
        defer { close(namespace) }
        return try bridge.attach(podUID: podUID, host: host, pod: pod, podNamespace: namespace, bridgeIndex: bridgeIndex)
    }
}
