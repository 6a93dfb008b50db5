import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Collects a command's stdout and stderr (together, at most `limit` bytes, as upstream keeps 10 KiB of a
/// probe's output) on a small thread of its own, so the pipes never fill and no pool thread blocks.
final class ExecOutput: Sendable {
    private struct State {
        var data = Data()
        var done = false
        var stopAt: ContinuousClock.Instant?
        var waiters: [CheckedContinuation<String, Never>] = []
    }

    private let state = Mutex(State())

    init(process: any ExecProcess, limit: Int = 10 * 1024) {
        let fds = [process.stdout] + (process.stderr.map { [$0] } ?? [])
        let thread = Thread { [self] in
            var open = fds
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !open.isEmpty {
                if let stopAt = state.withLock({ $0.stopAt }), ContinuousClock.now >= stopAt { break }
                var polls = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
                let ready = poll(&polls, nfds_t(polls.count), 100)
                if ready < 0, errno != EINTR { break }
                guard ready > 0 else { continue }
                for entry in polls where entry.revents != 0 {
                    let count = read(entry.fd, &buffer, buffer.count)
                    if count > 0 {
                        state.withLock { state in
                            let room = max(0, limit - state.data.count)
                            state.data.append(contentsOf: buffer.prefix(min(count, room)))
                        }
                    } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                        open.removeAll { $0 == entry.fd }
                    }
                }
            }
            for fd in fds { close(fd) }
            let (text, waiters) = state.withLock { state -> (String, [CheckedContinuation<String, Never>]) in
                state.done = true
                defer { state.waiters = [] }
                return (String(decoding: state.data, as: UTF8.self), state.waiters)
            }
            for waiter in waiters { waiter.resume(returning: text) }
        }
        thread.stackSize = 64 * 1024
        thread.name = "skiff-exec-output"
        thread.start()
    }

    /// The output, once both streams ended or `grace` after this call (whatever a leftover child still
    /// holds open is not waited for).
    func text(grace: Duration = .seconds(1)) async -> String {
        state.withLock { state in
            if state.stopAt == nil { state.stopAt = .now + grace }
        }
        return await withCheckedContinuation { continuation in
            let text = state.withLock { state -> String? in
                if state.done { return String(decoding: state.data, as: UTF8.self) }
                state.waiters.append(continuation)
                return nil
            }
            if let text { continuation.resume(returning: text) }
        }
    }
}
