import CLinuxExtras
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The kubelet's end of a running container's input, as both runtimes keep it: the write end of its stdin
/// pipe (`stdin: true`) or its terminal's master (`tty: true`). Attached clients get copies; with
/// `stdinOnce` the first client's end ends the container's stdin; a terminal takes the client's size.
struct ContainerStdin: Sendable {
    private(set) var descriptor: Int32?
    let isTerminal: Bool
    /// `stdin: true`, until a `stdinOnce` client ended it.
    private(set) var isOpen: Bool
    let once: Bool

    init(descriptor: Int32, isTerminal: Bool, open: Bool, once: Bool) {
        self.descriptor = descriptor
        self.isTerminal = isTerminal
        isOpen = open
        self.once = once
    }

    /// A copy for one attached client, which closes it when done (the container's stdin stays open for the
    /// next one); nil when no stdin is open.
    func attach() -> Int32? {
        guard isOpen, let descriptor else { return nil }
        let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        return copy >= 0 ? copy : nil
    }

    /// An attached client's stdin ended: with `stdinOnce`, so does the container's. A pipe is closed; a
    /// terminal stays (it carries the output) and gets an end of file, ^D at the start of a line.
    mutating func detach() {
        guard once, isOpen, let descriptor else { return }
        isOpen = false
        if isTerminal {
            var eof: UInt8 = 4
            _ = write(descriptor, &eof, 1)
        } else {
            Glibc.close(descriptor)
            self.descriptor = nil
        }
    }

    func resize(columns: UInt16, rows: UInt16) {
        guard isTerminal, let descriptor else { return }
        _ = skiff_set_window_size(descriptor, columns, rows)
    }

    /// The container exited.
    func close() {
        if let descriptor { Glibc.close(descriptor) }
    }
}
