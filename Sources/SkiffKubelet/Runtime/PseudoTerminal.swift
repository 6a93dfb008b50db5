import CLinuxExtras
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A new pseudo-terminal: the master stays with the kubelet (output, input, window size); a child opens the
/// slave by path after `setsid`, which makes it the child's controlling terminal.
enum PseudoTerminal {
    /// The master's descriptor and the slave's path (`/dev/pts/N`).
    static func open() throws -> (master: Int32, slave: String) {
        let master = Glibc.open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        let number = master >= 0 ? skiff_unlock_pty(master) : -1
        guard number >= 0 else {
            let code = errno
            if master >= 0 { close(master) }
            throw ContainerRuntimeError(reason: "RunContainerError", message: "cannot open a terminal: \(String(cString: strerror(code)))")
        }
        return (master, "/dev/pts/\(number)")
    }
}
