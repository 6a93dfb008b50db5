import CLinuxExtras
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A process container's stdio: pipes for output, and what `stdin: true` and `tty: true` ask for, as the
/// runc runtime gives them. With a terminal, the process runs on a pseudo-terminal of its own (its
/// controlling terminal), whose master carries its output, attach input and resizes.
extension ProcessRuntime {
    /// The kubelet's ends of a container's stdin, kept while the container runs.
    struct Stdin {
        /// The write end of the stdin pipe, or the terminal's master.
        var writer: Int32
        var terminal: Bool
        /// Until a `stdinOnce` client ended it.
        var open = true
        var once: Bool
    }

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
        var stdin: Stdin?

        /// Pipes (or a terminal) for `launch`.
        init(_ launch: ContainerLaunch) throws {
            if launch.tty {
                let (master, slave) = try PseudoTerminal.open()
                terminalPath = slave
                stdout = master
                // The log reads the master; attach input and resizes go to a copy of it.
                let writer = fcntl(master, F_DUPFD_CLOEXEC, 0)
                if writer >= 0 { stdin = Stdin(writer: writer, terminal: true, open: launch.stdin, once: launch.stdinOnce) }
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
                stdin = Stdin(writer: input[1], terminal: false, once: launch.stdinOnce)
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
            for fd in [stdout, stderr ?? -1, stdin?.writer ?? -1] where fd >= 0 { close(fd) }
        }
    }

    public func attachStdin(containerID: String) -> Int32? {
        stdins.withLock { stdins -> Int32? in
            // A copy: the client closing it leaves the container's stdin open for the next one.
            guard let stdin = stdins[containerID], stdin.open else { return nil }
            let copy = fcntl(stdin.writer, F_DUPFD_CLOEXEC, 0)
            return copy >= 0 ? copy : nil
        }
    }

    public func detachStdin(containerID: String) {
        stdins.withLock { stdins in
            guard var stdin = stdins[containerID], stdin.once, stdin.open else { return }
            stdin.open = false
            if stdin.terminal {
                // The terminal stays (it carries the output): EOF is ^D at the start of a line.
                var eof: UInt8 = 4
                _ = write(stdin.writer, &eof, 1)
                stdins[containerID] = stdin
            } else {
                close(stdin.writer)
                stdins[containerID] = nil
            }
        }
    }

    public func resizeTerminal(containerID: String, columns: UInt16, rows: UInt16) {
        guard let writer = stdins.withLock({ $0[containerID].flatMap { $0.terminal ? $0.writer : nil } }) else { return }
        _ = skiff_set_window_size(writer, columns, rows)
    }

    /// The container exited: its stdin goes.
    func closeStdin(containerID: String) {
        if let stdin = stdins.withLock({ $0.removeValue(forKey: containerID) }) { close(stdin.writer) }
    }
}
