import CLinuxExtras
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `runc exec -t` on a terminal of the kubelet's: runc gets a pseudo-terminal's slave as its stdio (and
/// controlling terminal) and relays it to the container's own terminal; the caller reads and writes the
/// master. A resize sets the master's window size, and runc passes the SIGWINCH on to the container.
final class TerminalExec: ExecProcess {
    let pid: pid_t
    let master: Int32
    let stdin: Int32?
    let stdout: Int32
    var stderr: Int32? { nil }
    private let exit = ExitBox()

    /// Shared with the waiting thread, which may finish before the first `exitCode()`.
    private final class ExitBox: Sendable {
        let state = Mutex<(code: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))
    }

    init(runcPath: String, runcRoot: String, id: String, argv: [String]) throws {
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        let number = master >= 0 ? skiff_unlock_pty(master) : -1
        guard number >= 0 else {
            let code = errno
            if master >= 0 { close(master) }
            throw ContainerRuntimeError(reason: "RunContainerError", message: "cannot open a terminal: \(String(cString: strerror(code)))")
        }
        let slave = "/dev/pts/\(number)"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // After setsid, opening the slave without O_NOCTTY makes it runc's controlling terminal.
        posix_spawn_file_actions_addopen(&actions, 0, slave, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let arguments = [runcPath, "--root", runcRoot, "exec", "-t", id] + argv
        let args = arguments.map { strdup($0) } + [nil]
        let env = [strdup("PATH=\(ProcessRuntime.defaultPath)"), strdup("TERM=xterm"), nil]
        defer {
            for pointer in args { free(pointer) }
            for pointer in env { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, runcPath, &actions, &attributes, args, env)
        guard result == 0 else {
            close(master)
            throw ContainerRuntimeError(reason: "StartError", message: "failed to start runc exec: \(String(cString: strerror(result)))")
        }
        let input = dup(master)
        self.pid = pid
        self.master = master
        self.stdout = master
        self.stdin = input >= 0 ? input : nil
        let thread = Thread { [exit, pid] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            let signal = status & 0x7f
            let code: Int32 = signal == 0 ? (status >> 8) & 0xff : 128 + signal
            let waiters = exit.state.withLock { state in
                state.code = code
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: code) }
        }
        thread.stackSize = 64 * 1024
        thread.name = "skiff-exec-tty-\(pid)"
        thread.start()
    }

    func resize(columns: UInt16, rows: UInt16) {
        _ = skiff_set_window_size(master, columns, rows)
    }

    func exitCode() async -> Int32 {
        await withCheckedContinuation { continuation in
            let code = exit.state.withLock { state -> Int32? in
                if let code = state.code { return code }
                state.waiters.append(continuation)
                return nil
            }
            if let code { continuation.resume(returning: code) }
        }
    }

    func kill() {
        let done = exit.state.withLock { $0.code != nil }
        if !done { Glibc.kill(-pid, SIGKILL) }
    }
}
