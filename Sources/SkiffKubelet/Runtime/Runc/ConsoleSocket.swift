import SkiffHost
import CLinuxExtras
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where the OCI runtime hands over a `tty: true` container's terminal (`--console-socket`): a listening unix
/// socket on which it connects and sends the terminal's master as SCM_RIGHTS while it creates the container.
/// For runc, in the abstract namespace (no file, no path-length limit; runc's Go dialer reads a leading `@`
/// so); crun dials only a socket file, so for crun it is one in `directory`.
final class ConsoleSocket {
    /// What the runtime is given: `@<name>`, or the socket file's path.
    let address: String
    private let listener: Int32
    /// The socket file, removed with the socket.
    private let file: String?

    init(name: String, directory: String? = nil) throws {
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw HostCommand.error("cannot open a console socket", errno) }
        var bytes = [UInt8](repeating: 0, count: MemoryLayout<sockaddr_un>.size)
        bytes[0] = UInt8(AF_UNIX & 0xff)
        bytes[1] = UInt8(AF_UNIX >> 8)
        let length: socklen_t
        if let directory {
            // sun_path holds 108 bytes: a deep data directory gets a short name in /tmp instead.
            var path = "\(directory)/console-\(name.suffix(12)).sock"
            if path.utf8.count >= bytes.count - 3 { path = "/tmp/skiff-console-\(name.suffix(12)).sock" }
            unlink(path)
            file = path
            address = path
            let utf8 = Array(path.utf8)
            bytes.replaceSubrange(2..<(2 + utf8.count), with: utf8)
            length = socklen_t(2 + utf8.count + 1)
        } else {
            file = nil
            address = "@" + name
            // sun_path starts with a zero byte: the abstract namespace; the name follows, unterminated.
            let path = Array(name.utf8.prefix(bytes.count - 3))
            bytes.replaceSubrange(3..<(3 + path.count), with: path)
            length = socklen_t(3 + path.count)
        }
        let bound = bytes.withUnsafeBytes { bind(listener, $0.baseAddress?.assumingMemoryBound(to: sockaddr.self), length) }
        guard bound == 0, listen(listener, 1) == 0 else {
            let code = errno
            close(listener)
            if let file { unlink(file) }
            throw HostCommand.error("cannot listen on the console socket \(address)", code)
        }
    }

    deinit {
        close(listener)
        if let file { unlink(file) }
    }

    /// The terminal's master, once runc has sent it (waits up to `timeout`).
    func receiveTerminal(timeout: Duration = .seconds(10)) throws -> Int32 {
        var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000)
        while poll(&ready, 1, milliseconds) < 0 {
            guard errno == EINTR else { throw HostCommand.error("cannot wait on the console socket", errno) }
        }
        guard ready.revents & Int16(POLLIN) != 0 else {
            throw ContainerRuntimeError(reason: "StartError", message: "runc sent no terminal on \(address)")
        }
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { throw HostCommand.error("cannot accept on the console socket", errno) }
        // Every program the kubelet starts closes descriptors above stderr, so none keeps this connection;
        // the terminal itself arrives close-on-exec (MSG_CMSG_CLOEXEC).
        defer { close(connection) }
        let terminal = skiff_receive_fd(connection)
        guard terminal >= 0 else {
            throw ContainerRuntimeError(reason: "StartError", message: "runc sent no terminal on \(address)")
        }
        return terminal
    }
}
