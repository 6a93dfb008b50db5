import CLinuxExtras
import Foundation
import SkiffHost
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A program a test starts, through `posix_spawn`. Foundation's `Process.run()` reads `/proc/self/fd` past the
/// end of a buffer and now and then crashes the whole test process (swift-corelibs-foundation#5472, fixed after
/// Swift 6.3.1; CI met it twice): the test kit does not use it.
public final class TestChild: Sendable {
    public let pid: Int32
    /// The wait status, once the child is reaped.
    private let status = Mutex<Int32?>(nil)

    /// Starts `path` with `arguments` (argv[1...]) and `environment`; its stdin, stdout and stderr are the
    /// descriptors given, nothing else of this process is inherited.
    public init(path: String, arguments: [String], environment: [String: String], stdin: Int32, stdout: Int32, stderr: Int32) throws {
        let spawned = ChildProcess.spawn(path: path, argv: [path] + arguments, environment: environment, newSession: false) { actions in
            posix_spawn_file_actions_adddup2(&actions, stdin, 0)
            posix_spawn_file_actions_adddup2(&actions, stdout, 1)
            posix_spawn_file_actions_adddup2(&actions, stderr, 2)
            posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        }
        switch spawned {
        case .success(let pid): self.pid = pid
        case .failure(let error): throw TestServerError(message: "cannot start \(path): \(error)")
        }
    }

    /// Starts `path` with this process's environment, stdin from /dev/null, and stdout and stderr to `output`
    /// (/dev/null when nil).
    public convenience init(_ path: String, _ arguments: [String], output: Int32? = nil) throws {
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        try self.init(path: path, arguments: arguments, environment: ProcessInfo.processInfo.environment,
                      stdin: null, stdout: output ?? null, stderr: output ?? null)
    }

    /// Whether it has not exited yet (an exited child is reaped here).
    public var isRunning: Bool {
        status.withLock { status in
            if status != nil { return false }
            var raw: Int32 = 0
            let reaped = waitpid(pid, &raw, WNOHANG)
            if reaped == pid { status = raw }
            return reaped == 0
        }
    }

    public func signal(_ number: Int32) { if isRunning { kill(pid, number) } }

    /// Blocks until it exits: its exit code, or the number of the signal that ended it (as Foundation's
    /// `terminationStatus`).
    public func wait() -> Int32 {
        if let known = status.withLock({ $0 }) { return Self.terminationStatus(known) }
        var raw: Int32 = 0
        while true {
            let reaped = waitpid(pid, &raw, 0)
            if reaped == pid { break }
            if reaped < 0, errno == EINTR { continue }
            // Reaped meanwhile by `isRunning`, which stores the status before it lets go of the lock.
            return status.withLock { $0 }.map(Self.terminationStatus) ?? -1
        }
        status.withLock { $0 = raw }
        return Self.terminationStatus(raw)
    }

    static func terminationStatus(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : signal
    }
}

/// A pipe whose ends are closed on exec (the child gets its end through `dup2`).
public func cloexecPipe() throws -> (read: Int32, write: Int32) {
    var fds: [Int32] = [-1, -1]
    guard pipe2(&fds, O_CLOEXEC) == 0 else {
        throw TestServerError(message: "pipe: \(String(cString: strerror(errno)))")
    }
    return (fds[0], fds[1])
}
