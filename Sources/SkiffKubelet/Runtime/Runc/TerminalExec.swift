import SkiffHost
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
    private let exit: ChildExit

    init(runcPath: String, runcRoot: String, id: String, argv: [String]) throws {
        let (master, slave) = try PseudoTerminal.open()
        let arguments = [runcPath, "--root", runcRoot, "exec", "-t", id] + argv
        let environment = ["PATH": ProcessRuntime.defaultPath, "TERM": "xterm"]
        let spawned = ChildProcess.spawn(path: runcPath, argv: arguments, environment: environment, newSession: true) { actions in
            // After setsid, opening the slave without O_NOCTTY makes it runc's controlling terminal.
            posix_spawn_file_actions_addopen(&actions, 0, slave, O_RDWR, 0)
            posix_spawn_file_actions_adddup2(&actions, 0, 1)
            posix_spawn_file_actions_adddup2(&actions, 0, 2)
            posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        }
        let pid: pid_t
        switch spawned {
        case .success(let child): pid = child
        case .failure(let error):
            close(master)
            throw ContainerRuntimeError(reason: "StartError", message: "failed to start runc exec: \(error)")
        }
        let input = dup(master)
        self.pid = pid
        self.master = master
        self.stdout = master
        self.stdin = input >= 0 ? input : nil
        exit = ChildExit(pid: pid, threadName: "skiff-exec-tty-\(pid)")
    }

    func resize(columns: UInt16, rows: UInt16) {
        _ = skiff_set_window_size(master, columns, rows)
    }

    func exitCode() async -> Int32 { await exit.exitCode() }

    func kill() {
        if !exit.hasExited { Glibc.kill(-pid, SIGKILL) }
    }
}
