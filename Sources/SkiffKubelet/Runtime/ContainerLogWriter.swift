import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Copies a container's stdout and stderr pipes into its log file in the CRI format the kubelet reads
/// (`2016-10-06T00:17:09.669794202Z stdout F text`, `P` for a line cut at `maxLineBytes`), as containerd
/// does. One small thread per container blocks in `poll`, so an idle container costs no CPU. The file is
/// rotated at `rotateBytes`, keeping one older generation as `<file>.1`.
final class ContainerLogWriter: Sendable {
    /// containerd's `max_container_log_line_size`.
    static let maxLineBytes = 16 * 1024
    /// The kubelet's default `containerLogMaxSize`.
    static let defaultRotateBytes = 10 * 1024 * 1024

    let file: URL
    private let done = Mutex<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts copying `stdout` and `stderr` (read ends; the writer closes them at EOF) into `file`.
    init(stdout: Int32, stderr: Int32?, file: URL, rotateBytes: Int = ContainerLogWriter.defaultRotateBytes) {
        self.file = file
        var streams: [(fd: Int32, name: String)] = [(fd: stdout, name: "stdout")]
        if let stderr { streams.append((fd: stderr, name: "stderr")) }
        let thread = Thread { [self, streams] in
            Self.copy(streams: streams, file: file, rotateBytes: rotateBytes)
            done.withLock { $0 = true }
            finished.signal()
        }
        thread.stackSize = 128 * 1024
        thread.name = "skiff-log"
        thread.start()
    }

    /// Waits until both streams ended and everything is written, at most `timeout`; true when it finished.
    @discardableResult
    func waitUntilFinished(timeout: Duration) -> Bool {
        if done.withLock({ $0 }) { return true }
        let nanos = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        guard finished.wait(timeout: .now() + .nanoseconds(Int(nanos))) == .success else { return false }
        finished.signal()
        return true
    }

    /// One CRI log line (`<time> <stream> <F|P> <text>\n`).
    static func line(time: timespec, stream: String, partial: Bool, text: some Collection<UInt8>) -> [UInt8] {
        var out = Array(timestamp(time).utf8)
        out.append(0x20)
        out.append(contentsOf: stream.utf8)
        out.append(contentsOf: partial ? Array(" P ".utf8) : Array(" F ".utf8))
        out.append(contentsOf: text)
        out.append(0x0a)
        return out
    }

    /// RFC 3339 in UTC with nine fractional digits: `2016-10-06T00:17:09.669794202Z`.
    static func timestamp(_ time: timespec) -> String {
        var seconds = time.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T"
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2))."
            + "\(pad(Int(time.tv_nsec), 9))Z"
    }

    static func now() -> timespec {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return time
    }

    /// The copy loop: runs until every stream reached EOF (or failed), then closes them.
    private static func copy(streams: [(fd: Int32, name: String)], file: URL, rotateBytes: Int) {
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        var output = open(file.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        var size = output >= 0 ? Int(lseek(output, 0, SEEK_END)) : 0
        var pending = Array(repeating: [UInt8](), count: streams.count)
        var isOpen = Array(repeating: true, count: streams.count)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)

        func write(_ bytes: [UInt8]) {
            guard output >= 0 else { return }
            bytes.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                var offset = 0
                while offset < raw.count {
                    let written = Glibc.write(output, base + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return
                    }
                    offset += written
                }
            }
            size += bytes.count
            if size >= rotateBytes {
                // One generation is kept, as the kubelet's rotation keeps at least one.
                close(output)
                rename(file.path, file.path + ".1")
                output = Glibc.open(file.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
                size = 0
            }
        }
        /// Emits the complete lines of stream `index` (and, at `eof`, what is left as a full line).
        func flush(_ index: Int, eof: Bool) {
            let time = now()
            var chunk: [UInt8] = []
            var start = pending[index].startIndex
            let bytes = pending[index]
            var position = start
            while position < bytes.endIndex {
                if bytes[position] == 0x0a {
                    var end = position
                    if end > start, bytes[end - 1] == 0x0d { end -= 1 }
                    chunk += line(time: time, stream: streams[index].name, partial: false, text: bytes[start..<end])
                    start = position + 1
                } else if position - start + 1 >= maxLineBytes {
                    chunk += line(time: time, stream: streams[index].name, partial: true, text: bytes[start...position])
                    start = position + 1
                }
                position += 1
            }
            if eof, start < bytes.endIndex {
                chunk += line(time: time, stream: streams[index].name, partial: false, text: bytes[start...])
                start = bytes.endIndex
            }
            pending[index].removeSubrange(bytes.startIndex..<start)
            if !chunk.isEmpty { write(chunk) }
        }

        while isOpen.contains(true) {
            var fds = streams.enumerated().map { index, stream in
                pollfd(fd: isOpen[index] ? stream.fd : -1, events: Int16(POLLIN), revents: 0)
            }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in fds.indices where isOpen[index] && fds[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(streams[index].fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    pending[index].append(contentsOf: buffer[0..<count])
                    flush(index, eof: false)
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    isOpen[index] = false
                    flush(index, eof: true)
                }
            }
        }
        for (index, stream) in streams.enumerated() {
            if isOpen[index] { flush(index, eof: true) }
            close(stream.fd)
        }
        if output >= 0 { close(output) }
    }
}
