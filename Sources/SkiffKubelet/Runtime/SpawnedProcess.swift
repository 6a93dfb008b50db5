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
    private let exit = ExitBox()
    /// Called on resize; a runtime with a terminal sets it.
    let onResize: @Sendable (UInt16, UInt16) -> Void
    /// Called by `kill()` before the process group is killed: a runtime whose command runs outside that
    /// group (`runc exec`) kills it here.
    let onKill: @Sendable () -> Void

    private struct ExitState {
        var code: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }

    /// Shared with the waiting thread, which outlives no one but may finish before the first `exitCode()`.
    private final class ExitBox: Sendable {
        let state = Mutex<ExitState>(ExitState())
    }

    /// Spawns `path` with `argv` in `directory`; stdin is a pipe when `withStdin`, else /dev/null; stderr is
    /// its own pipe unless `mergeStderr` (a terminal's single stream).
    init(path: String, argv: [String], environment: [String: String], directory: String, withStdin: Bool,
         mergeStderr: Bool = false, onResize: @escaping @Sendable (UInt16, UInt16) -> Void = { _, _ in },
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
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if withStdin {
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, mergeStderr ? outPipe[1] : errPipe[1], 2)
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        posix_spawn_file_actions_addchdir_np(&actions, directory)
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
        let args = argv.map { strdup($0) } + [nil]
        let env = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in args { free(pointer) }
            for pointer in env { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, args, env)
        // The child's ends belong to the child now.
        for fd in [inPipe[0], outPipe[1], errPipe[1]] where fd >= 0 { close(fd) }
        guard result == 0 else {
            for fd in [inPipe[1], outPipe[0], errPipe[0]] where fd >= 0 { close(fd) }
            throw ContainerRuntimeError(reason: "StartError", message: "failed to start \(path): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        self.stdin = withStdin ? inPipe[1] : nil
        self.stdout = outPipe[0]
        self.stderr = mergeStderr ? nil : errPipe[0]
        self.onResize = onResize
        self.onKill = onKill
        let thread = Thread { [exit, pid] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            onExit()
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
        thread.name = "skiff-exec-\(pid)"
        thread.start()
    }

    func resize(columns: UInt16, rows: UInt16) { onResize(columns, rows) }

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
        guard !done else { return }
        onKill()
        Glibc.kill(-pid, SIGKILL)
    }
}
