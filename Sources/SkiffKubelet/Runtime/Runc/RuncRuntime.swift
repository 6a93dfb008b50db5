import SkiffHost
import CLinuxExtras
public import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The `runc` runtime: real containers, run by an OCI runtime program (`OCIRuntime`: runc or crun). Each pod has a sandbox of persistent namespace files (network, IPC,
/// UTS) under `DATA_DIR/run/pods/<uid>/ns/` that its containers join, with an address on the node's bridge
/// when the node has a pod range. Each container run is an OCI bundle `DATA_DIR/run/pods/<uid>/<container>/
/// <restartCount>/` whose root is an overlayfs of the image's layers under a writable layer on disk
/// (`DATA_DIR/pods/<uid>/<container>/<restartCount>/`), run by `runc run` with its own PID and mount
/// namespaces and cgroup limits under this process's own cgroup (`<own>/skiff/pod<uid>/<id>`).
/// `DATA_DIR/run` is a tmpfs (`StateMount`); logs and volumes stay in `DATA_DIR/pods/<uid>/`.
///
/// The kubelet is the child subreaper, so a container's init becomes its child once runc exits: one small
/// thread per container blocks in `waitpid`, and output goes through pipes to a `ContainerLogWriter`.
public final class RuncRuntime: ContainerRuntime {
    public let version: String
    public let exits: AsyncStream<ContainerExit>
    let continuation: AsyncStream<ContainerExit>.Continuation
    /// `DATA_DIR/pods`: logs, volumes and writable layers.
    public let podsDirectory: URL
    /// `DATA_DIR/run`, a tmpfs: what lives only while containers run (see `StateMount`).
    public let stateDirectory: URL
    /// `DATA_DIR/run/pods`: bundles, namespace files and `/etc` files.
    let podStatesDirectory: URL
    /// runc's state directory (`--root`): `DATA_DIR/run/runc`.
    public let runcRoot: URL
    /// Where runc's state was before it moved to the tmpfs; containers an older kubelet left there are removed.
    let legacyRuncRoot: URL
    /// The OCI runtime program (runc or crun) and where it is.
    public let oci: OCIRuntime
    let runcPath: String
    /// What runs as runc: a sealed in-memory copy when one could be made (see `SealedExecutable`).
    let runcExecutable: SealedExecutable
    let network: BridgeNetwork?
    let mountPoints: MountPointLayers
    let cgroups: CgroupLayout
    let logger = Logger(label: "skiff.kubelet.runc")
    let state = Mutex<State>(State())
    /// Reaps orphaned container processes when a child of this process changes state (see `reapOrphans`).
    let childSignals: Mutex<(any DispatchSourceSignal)?>
    let orphanQueue = DispatchQueue(label: "skiff.runc.orphans")
    let orphanScanPending = Mutex(false)

    struct State {
        var sandboxes: [String: Sandbox] = [:]
        /// Started and not yet reaped, by runc container ID.
        var containers: [String: Container] = [:]
    }

    struct Sandbox {
        var config: PodSandboxConfig
        var ip: String?
        /// The pid whose PID namespace the pod's containers share (`shareProcessNamespace`).
        var sharedPIDNamespaceOwner: Int32?
    }

    struct Container {
        var id: String
        var podUID: String
        var name: String
        var pid: Int32
        var bundle: URL
        /// Its stdin pipe's write end (`stdin: true`, kept open so it does not see EOF) or its terminal's
        /// master (`tty: true`).
        var stdin: ContainerStdin?
    }

    /// Whether this machine can run the runtime with `oci`: root, and the program installed. Returns why not, or nil.
    public static func unavailableReason(oci: OCIRuntime = .preferred) -> String? { oci.unavailableReason }

    /// Where runc is (`/usr/sbin/runc` on Debian).
    public static var defaultRuncPath: String { OCIRuntime.runc.path }

    /// A runtime keeping its pods under `dataDirectory/pods`, running containers with `oci` (crun when installed,
    /// else runc); with `podCIDR` (e.g. `10.244.0.0/24`) pods get addresses from it on the bridge `skiff0`. Makes
    /// this process the child subreaper.
    public init(dataDirectory: URL, podCIDR: String? = nil, oci: OCIRuntime = .preferred) throws {
        if let reason = oci.unavailableReason {
            throw ContainerRuntimeError(reason: "RuntimeUnavailable", message: reason)
        }
        self.oci = oci
        let runcPath = oci.path
        podsDirectory = dataDirectory.appendingPathComponent("pods")
        stateDirectory = dataDirectory.appendingPathComponent("run")
        podStatesDirectory = stateDirectory.appendingPathComponent("pods")
        runcRoot = stateDirectory.appendingPathComponent("runc")
        legacyRuncRoot = dataDirectory.appendingPathComponent("runc")
        mountPoints = MountPointLayers(directory: stateDirectory.appendingPathComponent("mountpoints"))
        if let problem = StateMount.prepare(stateDirectory.path) {
            Logger(label: "skiff.kubelet.runc").warning("runtime state stays on disk", metadata: ["reason": "\(problem)"])
        }
        self.runcPath = runcPath
        runcExecutable = SealedExecutable(copying: runcPath)
        network = try podCIDR.map {
            try BridgeNetwork.make(podCIDR: $0, ipamDirectory: dataDirectory.appendingPathComponent("cni/ipam"))
        }
        if let problem = network?.ensureMasquerade() {
            Logger(label: "skiff.kubelet.runc").warning("pods cannot reach beyond the node", metadata: ["reason": "\(problem)"])
        }
        cgroups = CgroupLayout.current(rootBased: oci == .crun)
        let versionOutput = (try? HostCommand.run(runcPath, ["--version"]))?.stdout ?? Data()
        let firstLine = String(decoding: versionOutput, as: UTF8.self).split(separator: "\n").first ?? ""
        // `runc version 1.1.5+ds1`, `crun version 1.8.1`: the node shows `runc://1.1.5+ds1`, `crun://1.8.1`.
        version = "\(oci.rawValue)://" + (firstLine.split(separator: " ").last.map(String.init) ?? "unknown")
        (exits, continuation) = AsyncStream.makeStream(of: ContainerExit.self)
        childSignals = Mutex(DispatchSource.makeSignalSource(signal: SIGCHLD, queue: orphanQueue))
        for directory in [podsDirectory, podStatesDirectory, runcRoot] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        // A runc exec that exits before reading its stdin must not kill the kubelet.
        signal(SIGPIPE, SIG_IGN)
        // Containers' inits are reparented here when runc exits; without this they would go to pid 1.
        guard skiff_set_child_subreaper() == 0 else {
            throw ContainerRuntimeError(reason: "RuntimeUnavailable",
                                        message: "prctl(PR_SET_CHILD_SUBREAPER): \(String(cString: strerror(errno)))")
        }
        // An orphan's zombie in a container's PID namespace keeps that container's init from exiting, so
        // orphans are reaped as they die (SIGCHLD), not only when a container exits.
        childSignals.withLock { source in
            source?.setEventHandler { [weak self] in self?.scheduleOrphanScan() }
            source?.resume()
        }
    }

    deinit { childSignals.withLock { $0?.cancel() } }

    /// `DATA_DIR/pods/<uid>`: the pod's logs, volumes and writable layers.
    public func podDirectory(uid: String) -> URL { podsDirectory.appendingPathComponent(uid) }

    /// `DATA_DIR/run/pods/<uid>`: the pod's namespace files, `/etc` files and bundles.
    public func podStateDirectory(uid: String) -> URL { podStatesDirectory.appendingPathComponent(uid) }

    public func logFile(podUID: String, container: String, restartCount: Int) -> URL {
        podDirectory(uid: podUID).appendingPathComponent(container).appendingPathComponent("\(restartCount).log")
    }

    func bundleDirectory(podUID: String, container: String, restartCount: Int) -> URL {
        podStateDirectory(uid: podUID).appendingPathComponent(container).appendingPathComponent("\(restartCount)")
    }

    /// A run's writable layer (`upper`, `work`): the bundle's path, on disk instead of the tmpfs.
    func layerDirectory(podUID: String, container: String, restartCount: Int) -> URL {
        podDirectory(uid: podUID).appendingPathComponent(container).appendingPathComponent("\(restartCount)")
    }

    /// The writable layer of a bundle on the tmpfs (nil for a bundle elsewhere, as older kubelets made them).
    func layerDirectory(bundle: URL) -> URL? {
        let prefix = podStatesDirectory.path + "/"
        guard bundle.path.hasPrefix(prefix) else { return nil }
        return podsDirectory.appendingPathComponent(String(bundle.path.dropFirst(prefix.count)))
    }

    /// `runc --root DATA_DIR/run/runc …` (or another root).
    func runc(_ arguments: [String], root: URL? = nil, stdio: HostCommand.Stdio = HostCommand.Stdio()) throws -> HostCommand.Result {
        try HostCommand.run(runcExecutable.path, ["--root", (root ?? runcRoot).path] + arguments, stdio: stdio)
    }

    // MARK: Containers

    public func start(_ launch: ContainerLaunch) throws -> ContainerHandle {
        guard let program = launch.argv.first, !program.isEmpty else {
            throw ContainerRuntimeError(reason: "RunContainerError", message: "no command specified")
        }
        guard let sandbox = state.withLock({ $0.sandboxes[launch.podUID] }) else {
            throw ContainerRuntimeError(reason: "RunContainerError", message: "the sandbox of pod \(launch.podUID) is not prepared")
        }
        guard !launch.imageLayers.isEmpty else {
            throw ContainerRuntimeError(reason: "RunContainerError", message: "the container's image has no layers")
        }
        let id = Self.newContainerID()
        let bundle = bundleDirectory(podUID: launch.podUID, container: launch.name, restartCount: launch.restartCount)
        // An earlier attempt at the same run (a start that failed) may have left its bundle.
        removeBundle(bundle)
        let rootfs = bundle.appendingPathComponent("rootfs")
        let layer = layerDirectory(podUID: launch.podUID, container: launch.name, restartCount: launch.restartCount)
        try HostFiles.makeDirectories(rootfs.path)
        for name in ["upper", "work"] { try HostFiles.makeDirectories(layer.path + "/" + name) }
        do {
            let layers = launch.imageLayers + [try mountPoints.layer(above: launch.imageLayers)].compactMap { $0 }
            try HostMounts.mountOverlay(layers: layers, upper: layer.appendingPathComponent("upper"),
                                        work: layer.appendingPathComponent("work"), target: rootfs)
            return try create(id: id, launch: launch, sandbox: sandbox, bundle: bundle)
        } catch {
            removeBundle(bundle)
            cgroups.remove(CgroupLayout.containerPath(podUID: launch.podUID, id: id))
            throw error
        }
    }

    private func create(id: String, launch: ContainerLaunch, sandbox: Sandbox, bundle: URL) throws -> ContainerHandle {
        let podDirectory = podStateDirectory(uid: launch.podUID)
        var namespaces: [(type: String, path: String?)] = [("mount", nil)]
        if sandbox.config.shareProcessNamespace, let owner = sandbox.sharedPIDNamespaceOwner {
            namespaces.append(("pid", "/proc/\(owner)/ns/pid"))
        } else {
            namespaces.append(("pid", nil))
        }
        let ns = podDirectory.appendingPathComponent("ns")
        namespaces.append(("ipc", ns.appendingPathComponent("ipc").path))
        if !sandbox.config.hostNetwork {
            namespaces.append(("network", ns.appendingPathComponent("net").path))
            namespaces.append(("uts", ns.appendingPathComponent("uts").path))
        }
        let etc = podDirectory.appendingPathComponent("etc")
        let config = OCIConfig(
            argv: launch.argv, environment: launch.environment,
            workingDirectory: launch.workingDirectory.flatMap { $0.isEmpty ? nil : $0 } ?? "/",
            mounts: launch.mounts,
            etcFiles: ["hosts", "hostname", "resolv.conf"].map {
                (containerPath: "/etc/\($0)", hostPath: etc.appendingPathComponent($0).path)
            },
            namespaces: namespaces, cgroupsPath: CgroupLayout.containerPath(podUID: launch.podUID, id: id),
            resources: launch.resources, terminal: launch.tty)
        try HostFiles.write(config.json(), to: bundle.path + "/config.json")
        // A terminal replaces the pipes: runc hands its master over the console socket.
        let console = launch.tty
            ? try ConsoleSocket(name: "skiff-console-\(id)", directory: oci == .crun ? bundle.path : nil) : nil
        let io = try ContainerPipes(stdin: launch.stdin && !launch.tty, pipes: !launch.tty)
        let pidFile = bundle.appendingPathComponent("init.pid")
        let runLog = bundle.appendingPathComponent("runc.log")
        // One `runc run --detach` instead of `create` + `start`: one Go program fewer per container (crun, which
        // costs little, runs both; see below). The init
        // may exit before its pid is known here, so the orphan reaper waits while a launch is under way.
        Self.launching.withLock { $0 += 1 }
        defer { Self.launching.withLock { $0 -= 1 } }
        var ran: HostCommand.Result
        do {
            let consoleArguments = console.map { ["--console-socket", $0.address] } ?? []
            let stdio = console == nil ? HostCommand.Stdio(stdin: io.childStdin, stdout: io.stdout[1], stderr: io.stderr[1])
                : HostCommand.Stdio()
            let logging = ["--log", runLog.path, "--log-format", "json"]
            let creation = ["--bundle", bundle.path, "--pid-file", pidFile.path] + consoleArguments + [id]
            if oci == .crun {
                // crun's `run --detach` reaps a container that exits before crun does, and its exit code is lost:
                // `create` leaves the init waiting (reparented here once crun exits), then `start` lets it run.
                ran = try runc(logging + ["create"] + creation, stdio: stdio)
                if ran.succeeded { ran = try runc(logging + ["start", id]) }
            } else {
                ran = try runc(logging + ["run", "--detach"] + creation, stdio: stdio)
            }
        } catch {
            io.closeAll()
            throw error
        }
        io.closeChildEnds()
        guard ran.succeeded else {
            io.closeParentEnds()
            _ = try? runc(["delete", "--force", id])
            // containerd creates, then starts: its message names the create, as upstream users see it.
            let logged = Self.runcError(log: runLog) ?? ran.message
            let message = oci == .crun ? Self.runcWording(ofCrun: logged)
                : logged.replacingOccurrences(of: "runc run failed", with: "runc create failed")
            throw ContainerRuntimeError(
                reason: "StartError",
                message: "failed to create containerd task: failed to create shim task: OCI runtime create failed: \(message): unknown")
        }
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else {
            io.closeParentEnds()
            _ = try? runc(["delete", "--force", id])
            throw ContainerRuntimeError(reason: "StartError", message: "runc run left no init pid in \(pidFile.path)")
        }
        var terminal: Int32?
        if let console {
            do {
                terminal = try console.receiveTerminal()
            } catch {
                kill(pid, SIGKILL)
                _ = try? runc(["delete", "--force", id])
                throw error
            }
        }
        let log = logFile(podUID: launch.podUID, container: launch.name, restartCount: launch.restartCount)
        // On a terminal, stdout and stderr are one stream, logged as stdout (as the CRI does).
        let writer = terminal.map { ContainerLogWriter(stdout: fcntl($0, F_DUPFD_CLOEXEC, 0), stderr: nil, file: log) }
            ?? ContainerLogWriter(stdout: io.stdout[0], stderr: io.stderr[0], file: log)
        let stdin = (terminal ?? io.stdinWriter).map {
            ContainerStdin(descriptor: $0, isTerminal: terminal != nil, open: launch.stdin, once: launch.stdinOnce)
        }
        let container = Container(id: id, podUID: launch.podUID, name: launch.name, pid: pid, bundle: bundle, stdin: stdin)
        Self.watchedInits.withLock { _ = $0.insert(pid) }
        state.withLock { state in
            state.containers[id] = container
            if state.sandboxes[launch.podUID]?.config.shareProcessNamespace == true,
               state.sandboxes[launch.podUID]?.sharedPIDNamespaceOwner == nil {
                state.sandboxes[launch.podUID]?.sharedPIDNamespaceOwner = pid
            }
        }
        // From here the watcher owns the container: it reaps the init and tears the bundle down.
        watch(container, writer: writer)
        logger.debug("started", metadata: ["pod": "\(launch.podUID)", "container": "\(launch.name)", "id": "\(id)", "pid": "\(pid)"])
        return ContainerHandle(id: "runc://\(id)", podUID: launch.podUID, name: launch.name, startedAt: Date())
    }

    /// A new container ID: 32 random hex digits (runc accepts `[A-Za-z0-9_+.-]`).
    static func newContainerID() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var id = [UInt8]()
        id.reserveCapacity(32)
        for _ in 0..<16 {
            let byte = UInt8.random(in: 0...255, using: &generator)
            id += [digits[Int(byte >> 4)], digits[Int(byte & 0xf)]]
        }
        return String(decoding: id, as: UTF8.self)
    }

    /// The last error runc logged (`--log-format json`): `runc create failed: unable to start container process: …`.
    static func runcError(log: URL) -> String? {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n").reversed() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["level"] as? String == "error", let message = object["msg"] as? String else { continue }
            return message
        }
        return nil
    }

    /// crun's start errors in runc's words, which upstream users and tools match on: a program that is not
    /// there (`executable file `/x` not found in $PATH: No such file or directory`) reads as runc's
    /// `exec: "/x": stat /x: no such file or directory`; anything else keeps crun's wording.
    static func runcWording(ofCrun message: String) -> String {
        let prefix = "executable file `", suffix = "` not found in $PATH"
        guard let start = message.range(of: prefix), let end = message.range(of: suffix, range: start.upperBound..<message.endIndex)
        else { return message }
        let program = String(message[start.upperBound..<end.lowerBound])
        let cause = program.contains("/") ? "stat \(program): no such file or directory" : "executable file not found in $PATH"
        return "runc create failed: unable to start container process: exec: \"\(program)\": \(cause)"
    }

    /// Waits for the container's init on a small thread of its own, then reports its exit (OOMKilled when its
    /// memory cgroup saw the OOM killer) and removes what runc, the mount table and the cgroups keep of it.
    func watch(_ container: Container, writer: ContainerLogWriter) {
        let thread = Thread { [self] in
            var status: Int32 = 0
            while waitpid(container.pid, &status, 0) < 0, errno == EINTR {}
            Self.watchedInits.withLock { _ = $0.remove(container.pid) }
            let code = ChildProcess.exitCode(status: status)
            let finishedAt = Date()
            let cgroup = CgroupLayout.containerPath(podUID: container.podUID, id: container.id)
            let oomKilled = cgroups.recordedOOMKill(cgroup)
            // What the container started in a shared PID namespace dies with it, closing the log pipes.
            _ = try? runc(["delete", "--force", container.id])
            writer.waitUntilFinished(timeout: .seconds(2))
            removeBundle(container.bundle)
            cgroups.remove(cgroup)
            state.withLock { state in
                state.containers.removeValue(forKey: container.id)?.stdin?.close()
                if state.sandboxes[container.podUID]?.sharedPIDNamespaceOwner == container.pid {
                    state.sandboxes[container.podUID]?.sharedPIDNamespaceOwner = nil
                }
            }
            reapOrphans()
            logger.debug("exited", metadata: ["id": "\(container.id)", "code": "\(code)", "oom": "\(oomKilled)"])
            continuation.yield(ContainerExit(containerID: "runc://\(container.id)", podUID: container.podUID, exitCode: code,
                                             finishedAt: finishedAt, reason: oomKilled ? "OOMKilled" : nil))
        }
        thread.stackSize = 128 * 1024
        thread.name = "skiff-runc-\(container.pid)"
        thread.start()
    }

    /// Unmounts a bundle's root filesystem and removes the bundle and its writable layer.
    func removeBundle(_ bundle: URL) {
        let layer = layerDirectory(bundle: bundle)
        if FileManager.default.fileExists(atPath: bundle.path) {
            guard HostMounts.unmountAll(under: bundle.path) else {
                logger.warning("cannot unmount the container's root filesystem; keeping its bundle", metadata: ["bundle": "\(bundle.path)"])
                return
            }
            try? FileManager.default.removeItem(at: bundle)
        }
        if let layer { try? FileManager.default.removeItem(at: layer) }
    }

    static func runcID(_ containerID: String) -> String? {
        containerID.hasPrefix("runc://") ? String(containerID.dropFirst("runc://".count)) : nil
    }

    public func attachStdin(containerID: String) -> Int32? {
        guard let id = Self.runcID(containerID) else { return nil }
        return state.withLock { $0.containers[id]?.stdin?.attach() }
    }

    public func detachStdin(containerID: String) {
        guard let id = Self.runcID(containerID) else { return }
        state.withLock { $0.containers[id]?.stdin?.detach() }
    }

    public func resizeTerminal(containerID: String, columns: UInt16, rows: UInt16) {
        guard let id = Self.runcID(containerID) else { return }
        state.withLock { $0.containers[id]?.stdin }?.resize(columns: columns, rows: rows)
    }

    public func stop(containerID: String, force: Bool) {
        guard let id = Self.runcID(containerID), let container = state.withLock({ $0.containers[id] }) else { return }
        // The init is this process's child and not yet reaped, so its pid cannot have been reused.
        kill(container.pid, force ? SIGKILL : SIGTERM)
    }

    public func shutdown(grace: Duration) async {
        for container in state.withLock({ Array($0.containers.values) }) { kill(container.pid, SIGTERM) }
        let deadline = ContinuousClock.now + grace
        while state.withLock({ !$0.containers.isEmpty }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for container in state.withLock({ Array($0.containers.values) }) { kill(container.pid, SIGKILL) }
        // The watchers tear the containers down; then the sandboxes go, so a restart finds nothing to adopt.
        let teardown = ContinuousClock.now + .seconds(10)
        while state.withLock({ !$0.containers.isEmpty }), ContinuousClock.now < teardown {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for uid in state.withLock({ Array($0.sandboxes.keys) }) { removePod(uid: uid) }
        if state.withLock({ $0.containers.isEmpty }) { mountPoints.removeAll() }
        StateMount.release(stateDirectory.path)
    }
}

/// The pipes of a container's stdio: the child's ends go to `runc create` (which hands them to the
/// container), the parent's ends to the log writer (and a kept-open stdin).
struct ContainerPipes {
    var stdout: [Int32] = [-1, -1]
    var stderr: [Int32] = [-1, -1]
    var stdinPipe: [Int32] = [-1, -1]
    var devNull: Int32 = -1

    /// `pipes: false` (a terminal): no output pipes, only /dev/null.
    init(stdin: Bool, pipes: Bool = true) throws {
        guard !pipes || (pipe2(&stdout, O_CLOEXEC) == 0 && pipe2(&stderr, O_CLOEXEC) == 0),
              stdin ? pipe2(&stdinPipe, O_CLOEXEC) == 0 : true else {
            let code = errno
            closeAll()
            throw HostCommand.error("pipe", code)
        }
        if !stdin {
            devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        }
    }

    var childStdin: Int32? { stdinPipe[0] >= 0 ? stdinPipe[0] : (devNull >= 0 ? devNull : nil) }
    var stdinWriter: Int32? { stdinPipe[1] >= 0 ? stdinPipe[1] : nil }

    func closeChildEnds() {
        for fd in [stdout[1], stderr[1], stdinPipe[0], devNull] where fd >= 0 { close(fd) }
    }

    func closeParentEnds() {
        for fd in [stdout[0], stderr[0], stdinPipe[1]] where fd >= 0 { close(fd) }
    }

    func closeAll() {
        closeChildEnds()
        closeParentEnds()
    }
}
