import SkiffHost
import CLinuxExtras
public import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The `process` runtime: each container is a plain host process in its own session (so its process group
/// can be signalled as a whole), started in the pod's directory `DATA_DIR/pods/<uid>/` with stdout and
/// stderr written to `<container>/<restartCount>.log` in the CRI format (`ContainerLogWriter`). There is no isolation: the program sees the host's
/// filesystem, network and users; it is looked up in the image's unpacked layers first, then on the host. A container
/// with volumes gets a mount namespace (and, without root, a user namespace) where they are at their mountPaths.
///
/// Exits are noticed by one blocked `waitpid` per container on a small thread, so idle containers cost no CPU.
/// A state file per pod lists its processes, so a later run can kill what an earlier one left (`cleanUpLeftovers`).
public final class ProcessRuntime: ContainerRuntime {
    /// Plain host processes get no cgroup: their limits are not enforced.
    public var enforcesLimits: Bool { false }

    public let version = "process://0.1.0"
    public let exits: AsyncStream<ContainerExit>
    let continuation: AsyncStream<ContainerExit>.Continuation
    /// `DATA_DIR/pods`.
    public let podsDirectory: URL
    let logger = Logger(label: "skiff.kubelet.process")
    /// Containers whose process was started and not yet reaped, by container ID. Only these are ever signalled,
    /// so a recycled pid cannot be hit.
    let running = Mutex<[String: RunningProcess]>([:])
    /// Each running container's environment and image layers, for exec.
    let launches = Mutex<[String: [String: String]]>([:])
    let layersByContainer = Mutex<[String: [URL]]>([:])
    /// The kept stdin (or terminal) of containers with `stdin: true` or `tty: true`.
    let stdins = Mutex<[String: ContainerStdin]>([:])

    struct RunningProcess: Codable, Hashable {
        var pid: Int32
        var podUID: String
        var name: String
        /// `/proc/<pid>/stat` start time, telling this process from a later one with the same pid.
        var startTicks: UInt64
    }

    /// A runtime keeping its pods under `dataDirectory/pods`.
    public init(dataDirectory: URL) {
        podsDirectory = dataDirectory.appendingPathComponent("pods")
        (exits, continuation) = AsyncStream.makeStream(of: ContainerExit.self)
    }

    public func podDirectory(uid: String) -> URL { podsDirectory.appendingPathComponent(uid) }

    /// The log file of a container's `restartCount`th run.
    public func logFile(podUID: String, container: String, restartCount: Int) -> URL {
        podDirectory(uid: podUID).appendingPathComponent(container).appendingPathComponent("\(restartCount).log")
    }

    /// The pod's directory; no namespaces, so the pod has the node's IP.
    public func preparePod(_ config: PodSandboxConfig) throws -> PodSandbox {
        PodSandbox(directory: try preparePod(uid: config.uid))
    }

    func preparePod(uid: String) throws -> URL {
        let directory = podDirectory(uid: uid)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    public func start(_ launch: ContainerLaunch) throws -> ContainerHandle {
        guard let program = launch.argv.first, !program.isEmpty else {
            throw ContainerRuntimeError(reason: "RunContainerError", message: "no command specified")
        }
        let podDirectory: URL
        do { podDirectory = try preparePod(uid: launch.podUID) } catch {
            throw ContainerRuntimeError(reason: "RunContainerError", message: "cannot create the pod directory: \(error)")
        }
        let path = Self.resolve(program: program, layers: launch.imageLayers,
                                searchPath: launch.environment["PATH"] ?? Self.defaultPath)
        guard let path else {
            throw ContainerRuntimeError(
                reason: "StartError",
                message: "failed to create containerd task: exec: \"\(program)\": executable file not found in $PATH")
        }
        let log = logFile(podUID: launch.podUID, container: launch.name, restartCount: launch.restartCount)
        try? FileManager.default.createDirectory(at: log.deletingLastPathComponent(), withIntermediateDirectories: true)
        var workingDirectory = podDirectory.path
        if let requested = launch.workingDirectory, !requested.isEmpty {
            var isDirectory: ObjCBool = false
            if ContainerRootPlan.isInsideMount(requested, mounts: launch.mounts) {
                // A volume's directory: there in the container's root.
                workingDirectory = ContainerRootPlan.normalize(requested)
            } else if requested.hasPrefix("/"), FileManager.default.fileExists(atPath: requested, isDirectory: &isDirectory),
               isDirectory.boolValue {
                workingDirectory = requested
            } else {
                // Not on the host: inside the pod's directory, as if the image had it.
                let inside = podDirectory.appendingPathComponent(String(requested.drop { $0 == "/" })).path
                try? FileManager.default.createDirectory(atPath: inside, withIntermediateDirectories: true)
                workingDirectory = inside
            }
        }
        let stdio = try ChildStdio(launch)
        var plan: ContainerRootPlan?
        if !launch.mounts.isEmpty {
            let newRoot = podDirectory.appendingPathComponent(".root").path
            do {
                try FileManager.default.createDirectory(atPath: newRoot, withIntermediateDirectories: true)
                plan = try ContainerRootPlan(newRoot: newRoot, mounts: launch.mounts)
            } catch {
                stdio.closeChildEnds()
                stdio.closeKubeletEnds()
                throw ContainerRuntimeError(reason: "RunContainerError", message: "cannot prepare the container's root: \(error)")
            }
        }
        let (pid, writer) = try spawn(path: path, argv: launch.argv, environment: launch.environment,
                                      directory: workingDirectory, log: log, stdio: stdio, plan: plan)
        let id = "process://\(pid)"
        if let stdin = stdio.stdin { stdins.withLock { $0[id] = stdin } }
        let record = RunningProcess(pid: pid, podUID: launch.podUID, name: launch.name,
                                    startTicks: Self.startTicks(pid) ?? 0)
        running.withLock { $0[id] = record }
        launches.withLock { $0[id] = launch.environment }
        layersByContainer.withLock { $0[id] = launch.imageLayers }
        saveState(podUID: launch.podUID)
        watch(pid: pid, id: id, podUID: launch.podUID, writer: writer)
        logger.debug("started", metadata: ["pod": "\(launch.podUID)", "container": "\(launch.name)", "pid": "\(pid)"])
        return ContainerHandle(id: id, podUID: launch.podUID, name: launch.name, startedAt: Date())
    }

    public func stop(containerID: String, force: Bool) {
        guard let record = running.withLock({ $0[containerID] }) else { return }
        // The group, not only the leader: what the container's shell started goes too.
        kill(-record.pid, force ? SIGKILL : SIGTERM)
    }

    /// Stops every container (SIGTERM, SIGKILL after `grace`) and returns when all are reaped or it passed.
    public func shutdown(grace: Duration) async {
        for record in running.withLock({ Array($0.values) }) { kill(-record.pid, SIGTERM) }
        let deadline = ContinuousClock.now + grace
        while running.withLock({ !$0.isEmpty }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for record in running.withLock({ Array($0.values) }) { kill(-record.pid, SIGKILL) }
    }

    /// No namespaces: every pod is on the node's network.
    public func networkNamespace(podUID: String) -> String? { nil }

    public func removePod(uid: String) {
        try? FileManager.default.removeItem(at: podDirectory(uid: uid))
    }

    public func cleanUpLeftovers() {
        guard let pods = try? FileManager.default.contentsOfDirectory(atPath: podsDirectory.path) else { return }
        for uid in pods {
            let stateFile = podDirectory(uid: uid).appendingPathComponent("state.json")
            guard let data = try? Data(contentsOf: stateFile),
                  let records = try? JSONDecoder().decode([RunningProcess].self, from: data) else { continue }
            for record in records where Self.startTicks(record.pid) == record.startTicks {
                logger.info("killing a container left by an earlier run",
                            metadata: ["pod": "\(uid)", "container": "\(record.name)", "pid": "\(record.pid)"])
                kill(-record.pid, SIGKILL)
            }
            try? FileManager.default.removeItem(at: stateFile)
        }
    }

    // MARK: Processes

    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The file to execute for `program`: inside the image's layers (top first), else on the host.
    static func resolve(program: String, layers: [URL], searchPath: String) -> String? {
        let fm = FileManager.default
        func executable(_ path: String) -> Bool {
            var isDirectory: ObjCBool = false
            return fm.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
                && fm.isExecutableFile(atPath: path)
        }
        let candidates: [String]
        if program.contains("/") {
            candidates = program.hasPrefix("/") ? [program] : []
            if !program.hasPrefix("/") {
                return executable(program) ? program : nil
            }
        } else {
            candidates = searchPath.split(separator: ":").map { "\($0)/\(program)" }
        }
        for layer in layers.reversed() {
            for candidate in candidates where executable(layer.path + candidate) { return layer.path + candidate }
        }
        for candidate in candidates where executable(candidate) { return candidate }
        return nil
    }

    /// Starts the container's process: with volumes, in a mount namespace whose root `plan` builds.
    func spawn(path: String, argv: [String], environment: [String: String], directory: String,
               log: URL, stdio: ChildStdio, plan: ContainerRootPlan? = nil) throws -> (pid: Int32, writer: ContainerLogWriter) {
        // The child's ends belong to the child once it is spawned (or to no one when it is not).
        defer { stdio.closeChildEnds() }
        let pid: pid_t
        if let plan {
            let childStdio = NamespacedSpawn.Stdio(stdin: stdio.childStdin, stdout: stdio.childStdout,
                                                   stderr: stdio.childStderr, terminal: stdio.terminalPath)
            switch NamespacedSpawn.spawn(path: path, argv: argv, environment: environment, directory: directory,
                                         stdio: childStdio, plan: plan) {
            case .success(let child): pid = child
            case .failure(let failure):
                stdio.closeKubeletEnds()
                throw ContainerRuntimeError(reason: "StartError", message: failure.description)
            }
        } else {
            // A new session: its own process group, and no controlling terminal but its own (`tty: true`).
            let spawned = ChildProcess.spawn(path: path, argv: argv, environment: environment, newSession: true) { actions in
                stdio.addActions(&actions)
                posix_spawn_file_actions_addclosefrom_np(&actions, 3)
                posix_spawn_file_actions_addchdir_np(&actions, directory)
            }
            switch spawned {
            case .success(let child): pid = child
            case .failure(let error):
                stdio.closeKubeletEnds()
                throw ContainerRuntimeError(reason: "StartError", message: "failed to start \(path): \(error)")
            }
        }
        // On a terminal, stdout and stderr are one stream, logged as stdout (as the CRI does).
        return (pid, ContainerLogWriter(stdout: stdio.stdout, stderr: stdio.stderr, file: log))
    }

    /// Waits for the process on a small dedicated thread (a blocked `waitpid` costs nothing while the
    /// container runs), then kills what is left of its group and reports the exit.
    func watch(pid: Int32, id: String, podUID: String, writer: ContainerLogWriter) {
        let thread = Thread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            let code = ChildProcess.exitCode(status: status)
            kill(-pid, SIGKILL)
            // The last lines reach the log before the exit is reported (a daemonized child may hold the pipe).
            writer.waitUntilFinished(timeout: .seconds(1))
            running.withLock { _ = $0.removeValue(forKey: id) }
            closeStdin(containerID: id)
            launches.withLock { _ = $0.removeValue(forKey: id) }
            layersByContainer.withLock { _ = $0.removeValue(forKey: id) }
            saveState(podUID: podUID)
            continuation.yield(ContainerExit(containerID: id, podUID: podUID, exitCode: code, finishedAt: Date()))
        }
        thread.stackSize = 64 * 1024
        thread.name = "skiff-reaper-\(pid)"
        thread.start()
    }

    /// Writes the pod's running processes to `state.json` (removed when none is left).
    func saveState(podUID: String) {
        let records = running.withLock { $0.values.filter { $0.podUID == podUID } }
        let file = podDirectory(uid: podUID).appendingPathComponent("state.json")
        if records.isEmpty {
            try? FileManager.default.removeItem(at: file)
            return
        }
        guard let data = try? JSONEncoder().encode(records.sorted { $0.pid < $1.pid }) else { return }
        try? data.write(to: file, options: .atomic)
    }

    /// Field 22 of `/proc/<pid>/stat`: when the process started, in clock ticks since boot.
    static func startTicks(_ pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, so start time (22) is index 19.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }
}

extension ProcessRuntime {
    /// Runs `command` as a host process in the pod's directory with the container's environment: there is
    /// nothing to enter, as the container is a host process too. No terminal: a tty request merges stderr
    /// into stdout.
    public func exec(containerID: String, _ command: ExecCommand) throws -> any ExecProcess {
        guard let record = running.withLock({ $0[containerID] }) else {
            throw ContainerRuntimeError(reason: "NotFound", message: "container \(containerID) is not running")
        }
        guard let program = command.argv.first, !program.isEmpty else {
            throw ContainerRuntimeError(reason: "RunContainerError", message: "no command specified")
        }
        let environment = launches.withLock { $0[containerID] } ?? ["PATH": Self.defaultPath]
        let layers = layersByContainer.withLock { $0[containerID] } ?? []
        guard let path = Self.resolve(program: program, layers: layers, searchPath: environment["PATH"] ?? Self.defaultPath) else {
            throw ContainerRuntimeError(
                reason: "StartError",
                message: "exec failed: unable to start container process: exec: \"\(program)\": executable file not found in $PATH")
        }
        // A container with volumes has namespaces of its own: the command runs inside them, seeing what it sees.
        let namespaces = NamespacedSpawn.Namespaces.of(pid: record.pid)
        defer { namespaces?.close() }
        return try SpawnedProcess(path: path, argv: command.argv, environment: environment,
                                  directory: podDirectory(uid: record.podUID).path, withStdin: command.stdin,
                                  mergeStderr: command.tty, enter: namespaces)
    }
}
