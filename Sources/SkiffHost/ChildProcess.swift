public import CLinuxExtras
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How Skiff starts every program (containers of the `process` runtime, exec sessions, `runc`, CNI
/// plugins, `nft`): `posix_spawn` with default signal handling and an empty signal mask, whatever the kubelet
/// itself blocks or ignores, optionally in a session of its own; `addActions` sets up the child's descriptors.
public enum ChildProcess {
    /// The child's pid, or the `errno` that kept it from starting.
    public static func spawn(path: String, argv: [String], environment: [String: String], newSession: Bool,
                      actions addActions: (inout posix_spawn_file_actions_t) -> Void) -> Result<pid_t, SpawnError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        addActions(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        let session = newSession ? POSIX_SPAWN_SETSID : 0
        posix_spawnattr_setflags(&attributes, Int16(session | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let args = argv.map { strdup($0) } + [nil]
        let env = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in args { free(pointer) }
            for pointer in env { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, args, env)
        return result == 0 ? .success(pid) : .failure(SpawnError(code: result))
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public var code: Int32
        public var description: String { String(cString: strerror(code)) }
    }

    /// A wait status as an exit code: the program's own, or 128 + the signal that killed it.
    public static func exitCode(status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

/// Waits for one child on a small thread of its own (a blocked `waitpid` costs nothing meanwhile) and gives
/// its exit code to every `exitCode()` caller, before or after it ended.
public final class ChildExit: Sendable {
    private let state = Mutex<(code: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))

    /// Starts waiting for `pid`; `onExit` runs once it ended, before anyone is told.
    public init(pid: pid_t, threadName: String, onExit: @escaping @Sendable () -> Void = {}) {
        let thread = Thread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            onExit()
            let code = ChildProcess.exitCode(status: status)
            let waiters = self.state.withLock { state in
                state.code = code
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: code) }
        }
        thread.stackSize = 64 * 1024
        thread.name = threadName
        thread.start()
    }

    public var hasExited: Bool { state.withLock { $0.code != nil } }

    public func exitCode() async -> Int32 {
        await withCheckedContinuation { continuation in
            let code = state.withLock { state -> Int32? in
                if let code = state.code { return code }
                state.waiters.append(continuation)
                return nil
            }
            if let code { continuation.resume(returning: code) }
        }
    }
}
