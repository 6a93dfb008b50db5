import SkiffHost
import CLinuxExtras
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with pipes for its standard streams (exec sessions, probes, `runc exec`):
/// `exitCode()` waits for it on a small thread of its own, so many can run without blocking the pool.
final class SpawnedProcess: ExecProcess {
    let pid: pid_t
    let stdin: Int32?
    let stdout: Int32
    let stderr: Int32?
    private let exit: ChildExit
    /// Called on resize; a runtime with a terminal sets it.
    let onResize: @Sendable (UInt16, UInt16) -> Void
    /// Called by `kill()` before the process group is killed: a runtime whose command runs outside that
    /// group (`runc exec`) kills it here.
    let onKill: @Sendable () -> Void

    /// Spawns `path` with `argv` in `directory`; stdin is a pipe when `withStdin`, else /dev/null; stderr is
    /// its own pipe unless `mergeStderr` (a terminal's single stream). With `enter`, inside those namespaces.
    init(path: String, argv: [String], environment: [String: String], directory: String, withStdin: Bool,
         mergeStderr: Bool = false, enter: NamespacedSpawn.Namespaces? = nil, onResize: @escaping @Sendable (UInt16, UInt16) -> Void = { _, _ in },
         onKill: @escaping @Sendable () -> Void = {}, onExit: @escaping @Sendable () -> Void = {}) throws {
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        func makePipe(_ fds: inout [Int32]) throws {
            guard pipe2(&fds, O_CLOEXEC) == 0 else {
                throw ContainerRuntimeError(reason: "RunContainerError", message: "pipe: \(String(cString: strerror(errno)))")
            }
        }
        func closeAll() { for fd in inPipe + outPipe + errPipe where fd >= 0 { close(fd) } }
        do {
            if withStdin { try makePipe(&inPipe) }
            try makePipe(&outPipe)
            if !mergeStderr { try makePipe(&errPipe) }
        } catch {
            closeAll()
            throw error
        }
        let spawned: Result<pid_t, any Error>
        if let enter {
            let stdio = NamespacedSpawn.Stdio(stdin: withStdin ? inPipe[0] : nil, stdout: outPipe[1],
                                              stderr: mergeStderr ? outPipe[1] : errPipe[1])
            spawned = NamespacedSpawn.spawn(path: path, argv: argv, environment: environment, directory: directory,
                                            stdio: stdio, enter: enter).mapError { $0 }
        } else {
            spawned = ChildProcess.spawn(path: path, argv: argv, environment: environment, newSession: true) { actions in
                if withStdin {
                    posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
                } else {
                    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
                }
                posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
                posix_spawn_file_actions_adddup2(&actions, mergeStderr ? outPipe[1] : errPipe[1], 2)
                posix_spawn_file_actions_addclosefrom_np(&actions, 3)
                posix_spawn_file_actions_addchdir_np(&actions, directory)
            }.mapError { $0 }
        }
        // The child's ends belong to the child now.
        for fd in [inPipe[0], outPipe[1], errPipe[1]] where fd >= 0 { close(fd) }
        let pid: pid_t
        switch spawned {
        case .success(let child): pid = child
        case .failure(let error):
            for fd in [inPipe[1], outPipe[0], errPipe[0]] where fd >= 0 { close(fd) }
            let message = (error as? NamespacedSpawn.Failure)?.description ?? "failed to start \(path): \(error)"
            throw ContainerRuntimeError(reason: "StartError", message: message)
        }
        self.pid = pid
        self.stdin = withStdin ? inPipe[1] : nil
        self.stdout = outPipe[0]
        self.stderr = mergeStderr ? nil : errPipe[0]
        self.onResize = onResize
        self.onKill = onKill
        exit = ChildExit(pid: pid, threadName: "skiff-exec-\(pid)", onExit: onExit)
    }

    func resize(columns: UInt16, rows: UInt16) { onResize(columns, rows) }

    func exitCode() async -> Int32 { await exit.exitCode() }

    func kill() {
        guard !exit.hasExited else { return }
        onKill()
        Glibc.kill(-pid, SIGKILL)
    }
}
