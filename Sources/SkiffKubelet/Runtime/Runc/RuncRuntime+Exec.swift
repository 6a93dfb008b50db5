import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `kubectl exec` and exec probes: `runc exec`, which runs the command in the container's namespaces and
/// cgroup with the container's environment, working directory and user (runc takes them from the bundle's
/// config.json), and exits with the command's exit code.
extension RuncRuntime {
    public func exec(containerID: String, _ command: ExecCommand) throws -> any ExecProcess {
        guard let id = Self.runcID(containerID), state.withLock({ $0.containers[id] != nil }) else {
            throw ContainerRuntimeError(
                reason: "NotFound",
                message: "container \(containerID) is not running: cannot exec in a stopped container")
        }
        // Exec commands are where orphans come from; collecting them here needs no timer.
        reapOrphans()
        guard let program = command.argv.first, !program.isEmpty else {
            throw ContainerRuntimeError(reason: "RunContainerError", message: "no command specified")
        }
        if command.tty {
            return try TerminalExec(runcPath: runcExecutable.path, runcRoot: runcRoot.path, id: id, argv: command.argv)
        }
        // The command is runc's child in the container, not in runc's process group: killing the session
        // kills it through its pid (else it would live on, orphaned).
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-exec-\(Self.newContainerID()).pid").path
        let process = try SpawnedProcess(
            path: runcExecutable.path, argv: [runcPath, "--root", runcRoot.path, "exec", "--pid-file", pidFile, id] + command.argv,
            environment: ["PATH": ProcessRuntime.defaultPath], directory: "/", withStdin: command.stdin,
            onKill: {
                if let text = KernelFile.read(pidFile), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                   pid > 0 {
                    kill(pid, SIGKILL)
                }
            },
            onExit: { unlink(pidFile) })
        return process
    }
}
