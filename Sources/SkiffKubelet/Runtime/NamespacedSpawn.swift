import CSkiffSpawn
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Starts a `process` container in a mount namespace of its own whose root has its volumes at their
/// mountPaths (`ContainerRootPlan`), or a command inside such a container (exec, probes). Without root the
/// container also gets a user namespace mapping only the kubelet's own user and group, which is what lets an
/// ordinary user mount: the program runs as that same user, with no capability on the host.
enum NamespacedSpawn {
    /// The descriptors of a running container's namespaces, to start another command inside them.
    struct Namespaces {
        var user: Int32?
        var mount: Int32

        /// Those of process `pid`, or nil when it shares the kubelet's mount namespace (nothing to enter).
        static func of(pid: pid_t) -> Namespaces? {
            func inode(_ path: String) -> ino_t? {
                var info = stat()
                return stat(path, &info) == 0 ? info.st_ino : nil
            }
            guard let mountInode = inode("/proc/\(pid)/ns/mnt"), mountInode != inode("/proc/self/ns/mnt") else { return nil }
            let mount = open("/proc/\(pid)/ns/mnt", O_RDONLY | O_CLOEXEC)
            guard mount >= 0 else { return nil }
            var user: Int32?
            if let userInode = inode("/proc/\(pid)/ns/user"), userInode != inode("/proc/self/ns/user") {
                let fd = open("/proc/\(pid)/ns/user", O_RDONLY | O_CLOEXEC)
                if fd >= 0 { user = fd }
            }
            return Namespaces(user: user, mount: mount)
        }

        func close() {
            if let user { Glibc.close(user) }
            Glibc.close(mount)
        }
    }

    /// What the child gets as fds 0–2.
    struct Stdio {
        var stdin: Int32?
        var stdout: Int32 = -1
        var stderr: Int32 = -1
        /// A terminal's slave, opened as 0–2 after `setsid`.
        var terminal: String?
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts `path` either in new namespaces built by `plan` or inside `enter`; returns its pid.
    static func spawn(path: String, argv: [String], environment: [String: String], directory: String,
                      stdio: Stdio, plan: ContainerRootPlan? = nil, enter: Namespaces? = nil) -> Result<pid_t, Failure> {
        var owned: [UnsafeMutablePointer<CChar>?] = []
        defer { for pointer in owned { free(pointer) } }
        func c(_ text: String) -> UnsafePointer<CChar>? {
            let copy = strdup(text)
            owned.append(copy)
            return UnsafePointer(copy)
        }
        let args = argv.map { strdup($0) } + [nil]
        let env = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        owned += args + env
        let steps: [skiff_root_step] = (plan?.steps ?? []).map { step in
            switch step {
            case .tmpfs(let target): skiff_root_step(kind: Int32(SKIFF_STEP_TMPFS.rawValue), source: nil, target: c(target))
            case .makeDirectory(let target): skiff_root_step(kind: Int32(SKIFF_STEP_MKDIR.rawValue), source: nil, target: c(target))
            case .makeFile(let target): skiff_root_step(kind: Int32(SKIFF_STEP_MKFILE.rawValue), source: nil, target: c(target))
            case .symlink(let destination, let at):
                skiff_root_step(kind: Int32(SKIFF_STEP_SYMLINK.rawValue), source: c(destination), target: c(at))
            case .bind(let source, let target, let readOnly):
                skiff_root_step(kind: Int32((readOnly ? SKIFF_STEP_BIND_READONLY : SKIFF_STEP_BIND).rawValue),
                                source: c(source), target: c(target))
            case .pivotRoot(let target): skiff_root_step(kind: Int32(SKIFF_STEP_PIVOT_ROOT.rawValue), source: nil, target: c(target))
            case .detach(let target): skiff_root_step(kind: Int32(SKIFF_STEP_DETACH.rawValue), source: nil, target: c(target))
            }
        }
        let unprivileged = getuid() != 0
        var failedStep: Int32 = 0
        let result: Int32 = steps.withUnsafeBufferPointer { stepBuffer in
            args.withUnsafeBufferPointer { argBuffer in
                env.withUnsafeBufferPointer { envBuffer in
                    var request = skiff_spawn_request()
                    request.path = c(path)
                    request.argv = argBuffer.baseAddress
                    request.envp = envBuffer.baseAddress
                    request.stdin_fd = stdio.stdin ?? -1
                    request.stdout_fd = stdio.stdout
                    request.stderr_fd = stdio.stderr
                    request.terminal = stdio.terminal.flatMap { c($0) }
                    request.directory = c(directory)
                    request.new_session = 1
                    request.namespaces = plan == nil ? 0 : (unprivileged ? 2 : 1)
                    request.uid_map = c("\(getuid()) \(getuid()) 1\n")
                    request.gid_map = c("\(getgid()) \(getgid()) 1\n")
                    request.steps = stepBuffer.baseAddress
                    request.step_count = Int32(stepBuffer.count)
                    request.enter_user_fd = enter?.user ?? -1
                    request.enter_mount_fd = enter?.mount ?? -1
                    return skiff_spawn(&request, &failedStep)
                }
            }
        }
        if result > 0 { return .success(result) }
        return .failure(Failure(description: describe(error: -result, failedStep: failedStep, plan: plan, path: path,
                                                      directory: directory, unprivileged: unprivileged)))
    }

    private static func describe(error: Int32, failedStep: Int32, plan: ContainerRootPlan?, path: String,
                                 directory: String, unprivileged: Bool) -> String {
        let reason = String(cString: strerror(error))
        switch failedStep {
        case Int32(SKIFF_FAILED_NAMESPACES):
            if plan == nil { return "cannot enter the container's namespaces: \(reason)" }
            return unprivileged
                ? "cannot create the container's user and mount namespaces to mount its volumes: \(reason) (unprivileged user namespaces may be disabled: sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone)"
                : "cannot create the container's mount namespace to mount its volumes: \(reason)"
        case Int32(SKIFF_FAILED_DIRECTORY): return "chdir to cwd (\"\(directory)\") set in config.json failed: \(reason)"
        case Int32(SKIFF_FAILED_STDIO): return "cannot set up the container's standard streams: \(reason)"
        case Int32(SKIFF_FAILED_EXEC), Int32(SKIFF_FAILED_FORK): return "failed to start \(path): \(reason)"
        default:
            guard let plan, failedStep >= 0, Int(failedStep) < plan.steps.count else { return "failed to start \(path): \(reason)" }
            return "cannot mount the container's volumes: \(plan.steps[Int(failedStep)]) failed: \(reason)"
        }
    }
}
