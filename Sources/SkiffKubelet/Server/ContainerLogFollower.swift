import CLinuxExtras
public import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Follows a container's growing log file on a thread of its own: it sleeps in `poll` on an inotify watch of
/// the log's directory (new lines, a rotation) and a wake-up pipe, so an idle follower costs no CPU. It ends
/// when the container's run ended (after reading what is left), when `cancel()` is called (the client went
/// away), or when the handler refuses more.
public final class ContainerLogFollower: Sendable {
    private enum Stop: Sendable { case none, containerExited, cancelled }
    private let stop = Mutex<Stop>(.none)
    /// Read end polled by the thread; a byte on the write end wakes it.
    private let wake: (read: Int32, write: Int32)
    let file: URL

    /// A follower of `file`; throws when no wake-up pipe can be made.
    public init(file: URL) throws {
        var fds: [Int32] = [-1, -1]
        guard pipe2(&fds, O_CLOEXEC | O_NONBLOCK) == 0 else { throw POSIXError(.EMFILE) }
        wake = (fds[0], fds[1])
        self.file = file
    }

    deinit {
        close(wake.read)
        close(wake.write)
    }

    /// The container's run ended: read what is left, then end.
    public func containerExited() { signal(.containerExited) }

    /// End at once.
    public func cancel() { signal(.cancelled) }

    private func signal(_ reason: Stop) {
        stop.withLock { if $0 != .cancelled { $0 = reason } }
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    /// Starts the thread: reads `file` from byte `offset`, handing each batch of complete entries to `handle`
    /// (false: stop); `finished` is called on that thread when it ends.
    public func start(offset: Int, handle: @escaping @Sendable ([CRILogEntry]) -> Bool,
                      finished: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            follow(offset: offset, handle: handle)
            finished()
        }
        thread.stackSize = 256 * 1024
        thread.name = "skiff-logs-follow"
        thread.start()
    }

    private func follow(offset: Int, handle: ([CRILogEntry]) -> Bool) {
        let path = file.path
        let notify = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        defer { if notify >= 0 { close(notify) } }
        if notify >= 0 {
            let mask = UInt32(IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE)
            _ = inotify_add_watch(notify, file.deletingLastPathComponent().path, mask)
        }
        var fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 { lseek(fd, off_t(offset), SEEK_SET) }
        defer { if fd >= 0 { close(fd) } }
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        /// Reads what `fd` has now; false when the handler wants no more.
        func drain(final: Bool) -> Bool {
            guard fd >= 0 else { return true }
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                pending += chunk[..<count]
            }
            if final, !pending.isEmpty, pending.last != 0x0A { pending.append(0x0A) }
            let entries = ContainerLogReader.entries(consuming: &pending)
            return entries.isEmpty || handle(entries)
        }
        while true {
            let reason = stop.withLock { $0 }
            if reason == .cancelled { return }
            guard drain(final: reason == .containerExited) else { return }
            // Rotated: finish the old file, continue with the new one from its start.
            var status = stat()
            if stat(path, &status) == 0 {
                var current = stat()
                if fd < 0 || (fstat(fd, &current) == 0 && current.st_ino != status.st_ino) {
                    guard drain(final: true) else { return }
                    if fd >= 0 { close(fd) }
                    fd = open(path, O_RDONLY | O_CLOEXEC)
                    continue
                }
            }
            if reason == .containerExited { return }
            var fds = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            if notify >= 0 { fds.append(pollfd(fd: notify, events: Int16(POLLIN), revents: 0)) }
            // No inotify (limits reached): look again every second rather than never.
            let timeout: Int32 = notify >= 0 ? -1 : 1000
            while poll(&fds, nfds_t(fds.count), timeout) < 0, errno == EINTR {}
            if notify >= 0 {
                while chunk.withUnsafeMutableBytes({ read(notify, $0.baseAddress, $0.count) }) > 0 {}
            }
        }
    }
}
