import CLinuxExtras
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A process container's stdio: pipes for output, and what `stdin: true` and `tty: true` ask for, as the
/// runc runtime gives them. With a terminal, the process runs on a pseudo-terminal of its own (its
/// controlling terminal), whose master carries its output, attach input and resizes.
extension ProcessRuntime {
    /// What the child gets as fds 0–2, and what the kubelet keeps.
    struct ChildStdio {
        /// The child's ends: dup'ed onto 0, 1, 2 (nil: /dev/null for stdin).
        var childStdin: Int32?
        var childStdout: Int32 = -1
        var childStderr: Int32 = -1
        /// A terminal's slave, opened by the child after `setsid` so it becomes its controlling terminal.
        var terminalPath: String?
        var stdout: Int32 = -1
        var stderr: Int32?
        var stdin: ContainerStdin?

        /// Pipes (or a terminal) for `launch`.
        init(_ launch: ContainerLaunch) throws {
            if launch.tty {
                let (master, slave) = try PseudoTerminal.open()
                terminalPath = slave
                stdout = master
                // The log reads the master; attach input and resizes go to a copy of it.
                let writer = fcntl(master, F_DUPFD_CLOEXEC, 0)
                if writer >= 0 {
                    stdin = ContainerStdin(descriptor: writer, isTerminal: true, open: launch.stdin, once: launch.stdinOnce)
                }
                return
            }
            var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1], input: [Int32] = [-1, -1]
            guard pipe2(&out, O_CLOEXEC) == 0, pipe2(&err, O_CLOEXEC) == 0, !launch.stdin || pipe2(&input, O_CLOEXEC) == 0 else {
                let code = errno
                for fd in out + err + input where fd >= 0 { close(fd) }
                throw ContainerRuntimeError(reason: "RunContainerError", message: "pipe: \(String(cString: strerror(code)))")
            }
            (stdout, childStdout, stderr, childStderr) = (out[0], out[1], err[0], err[1])
            if launch.stdin {
                childStdin = input[0]
                stdin = ContainerStdin(descriptor: input[1], isTerminal: false, open: true, once: launch.stdinOnce)
            }
        }

        func addActions(_ actions: inout posix_spawn_file_actions_t) {
            if let terminalPath {
                posix_spawn_file_actions_addopen(&actions, 0, terminalPath, O_RDWR, 0)
                posix_spawn_file_actions_adddup2(&actions, 0, 1)
                posix_spawn_file_actions_adddup2(&actions, 0, 2)
            } else {
                if let childStdin {
                    posix_spawn_file_actions_adddup2(&actions, childStdin, 0)
                } else {
                    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
                }
                posix_spawn_file_actions_adddup2(&actions, childStdout, 1)
                posix_spawn_file_actions_adddup2(&actions, childStderr, 2)
            }
        }

        /// The child has its copies (or was never made).
        func closeChildEnds() {
            for fd in [childStdin ?? -1, childStdout, childStderr] where fd >= 0 { close(fd) }
        }

        /// The spawn failed: nothing is kept.
        func closeKubeletEnds() {
            for fd in [stdout, stderr ?? -1] where fd >= 0 { close(fd) }
            stdin?.close()
        }
    }

    public func attachStdin(containerID: String) -> Int32? {
        stdins.withLock { $0[containerID]?.attach() }
    }

    public func detachStdin(containerID: String) {
        stdins.withLock { $0[containerID]?.detach() }
    }

    public func resizeTerminal(containerID: String, columns: UInt16, rows: UInt16) {
        stdins.withLock { $0[containerID] }?.resize(columns: columns, rows: rows)
    }

    /// The container exited: its stdin goes.
    func closeStdin(containerID: String) {
        stdins.withLock { $0.removeValue(forKey: containerID) }?.close()
    }
}
