import CLinuxExtras
public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A short-lived host program Skiff runs and waits for (`runc create`, a CNI plugin, `unshare`, `nft -f`):
/// its output is collected, its stdin fed from `input`.
public struct HostCommand {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: Data
        public var succeeded: Bool { status == 0 }
        /// stderr (else stdout) as trimmed text, for error messages.
        public var message: String {
            let text = String(decoding: stderr.isEmpty ? stdout : stderr, as: UTF8.self)
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Descriptors the program gets as its stdio instead of pipes (e.g. a container's log pipes for `runc create`).
    public struct Stdio {
        public var stdin: Int32?
        public var stdout: Int32?
        public var stderr: Int32?

        public init(stdin: Int32? = nil, stdout: Int32? = nil, stderr: Int32? = nil) {
            self.stdin = stdin
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    /// Runs `path` with `arguments` and waits for it. Throws only when it cannot be started.
    public static func run(_ path: String, _ arguments: [String], environment: [String: String]? = nil, input: Data? = nil,
                    stdio: Stdio = Stdio()) throws -> Result {
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1], inPipe: [Int32] = [-1, -1]
        defer { for fd in outPipe + errPipe + inPipe where fd >= 0 { close(fd) } }
        if stdio.stdout == nil, pipe2(&outPipe, O_CLOEXEC) != 0 { throw Self.failure("pipe", errno) }
        if stdio.stderr == nil, pipe2(&errPipe, O_CLOEXEC) != 0 { throw Self.failure("pipe", errno) }
        if input != nil, pipe2(&inPipe, O_CLOEXEC) != 0 { throw Self.failure("pipe", errno) }
        let spawned = ChildProcess.spawn(path: path, argv: [path] + arguments,
                                         environment: environment ?? ProcessInfo.processInfo.environment,
                                         newSession: false) { actions in
            if let fd = stdio.stdin {
                posix_spawn_file_actions_adddup2(&actions, fd, 0)
            } else if input != nil {
                posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
            } else {
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            }
            posix_spawn_file_actions_adddup2(&actions, stdio.stdout ?? outPipe[1], 1)
            posix_spawn_file_actions_adddup2(&actions, stdio.stderr ?? errPipe[1], 2)
            posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        }
        let pid: pid_t
        switch spawned {
        case .success(let child): pid = child
        case .failure(let error): throw Self.failure("cannot run \(path)", error.code)
        }
        // Only our ends stay open here, so EOF comes when the program (and what inherited its output) exits.
        for fd in [outPipe[1], errPipe[1], inPipe[0]] where fd >= 0 { close(fd) }
        outPipe[1] = -1
        errPipe[1] = -1
        inPipe[0] = -1
        if let input {
            // Inputs are small (a CNI config): the pipe's buffer holds them, so this does not block on the child.
            input.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                var offset = 0
                while offset < raw.count {
                    let written = write(inPipe[1], base + offset, raw.count - offset)
                    if written < 0 { if errno == EINTR { continue } else { break } }
                    offset += written
                }
            }
            close(inPipe[1])
            inPipe[1] = -1
        }
        let (out, err) = readBoth(outPipe[0], errPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return Result(status: ChildProcess.exitCode(status: status), stdout: out, stderr: err)
    }

    /// Reads two descriptors (either may be -1) to EOF without letting one fill up while waiting on the other.
    public static func readBoth(_ first: Int32, _ second: Int32) -> (Data, Data) {
        var outputs = [Data(), Data()]
        var open = [first >= 0, second >= 0]
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while open.contains(true) {
            var fds = [pollfd(fd: open[0] ? first : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: open[1] ? second : -1, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in 0..<2 where open[index] && fds[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(fds[index].fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    outputs[index].append(contentsOf: buffer[0..<count])
                } else if count == 0 || errno != EINTR {
                    open[index] = false
                }
            }
        }
        return (outputs[0], outputs[1])
    }

    static func failure(_ what: String, _ code: Int32) -> HostCommandError {
        HostCommandError(message: "\(what): \(String(cString: strerror(code)))")
    }
}

/// A host program that could not be started.
public struct HostCommandError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
