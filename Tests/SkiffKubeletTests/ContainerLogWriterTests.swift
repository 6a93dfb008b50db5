import Foundation
import Testing

@testable import SkiffKubelet

#if canImport(Glibc)
    import Glibc
#endif

/// The CRI log format the kubelet's log reader (and `kubectl logs`) depends on.
@Suite struct ContainerLogWriterTests {
    func pipes() -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        return (fds[0], fds[1])
    }

    func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { return }
            offset += written
        }
    }

    func temporaryFile() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("skiff-log-\(UUID().uuidString.prefix(8))/0.log")
    }

    @Test func timestampsAreRFC3339WithNineDigitsInUTC() {
        #expect(ContainerLogWriter.timestamp(timespec(tv_sec: 1_475_713_029, tv_nsec: 669_794_202)) == "2016-10-06T00:17:09.669794202Z")
        #expect(ContainerLogWriter.timestamp(timespec(tv_sec: 0, tv_nsec: 5)) == "1970-01-01T00:00:00.000000005Z")
    }

    @Test func linesAreTaggedByStreamFullOrPartialAndLongLinesAreCut() throws {
        let file = temporaryFile()
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let out = pipes(), err = pipes()
        let writer = ContainerLogWriter(stdout: out.read, stderr: err.read, file: file)
        send(out.write, "hello\r\nworld\n")
        send(err.write, "oops\n")
        send(out.write, String(repeating: "x", count: ContainerLogWriter.maxLineBytes + 10) + "\n")
        send(out.write, "no newline at the end")
        close(out.write)
        close(err.write)
        #expect(writer.waitUntilFinished(timeout: .seconds(5)))
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map { line in
            let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            return fields.dropFirst().joined(separator: " ")
        }
        #expect(lines.filter { $0.hasPrefix("stderr") } == ["stderr F oops"])
        let stdout = lines.filter { $0.hasPrefix("stdout") }
        #expect(stdout.count == 5)
        #expect(Array(stdout.prefix(2)) == ["stdout F hello", "stdout F world"])
        #expect(stdout[2] == "stdout P " + String(repeating: "x", count: ContainerLogWriter.maxLineBytes))
        #expect(stdout[3] == "stdout F " + String(repeating: "x", count: 10))
        #expect(stdout[4] == "stdout F no newline at the end")
    }

    @Test func theFileIsRotatedKeepingOneGeneration() throws {
        let file = temporaryFile()
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let out = pipes()
        let writer = ContainerLogWriter(stdout: out.read, stderr: nil, file: file, rotateBytes: 1000)
        for index in 0..<50 { send(out.write, "line \(index) " + String(repeating: "-", count: 40) + "\n") }
        close(out.write)
        #expect(writer.waitUntilFinished(timeout: .seconds(5)))
        let current = try String(contentsOf: file, encoding: .utf8)
        let rotated = try String(contentsOfFile: file.path + ".1", encoding: .utf8)
        #expect(rotated.utf8.count >= 1000)
        #expect(current.utf8.count < 1000)
        #expect(current.contains("line 49 ") || rotated.contains("line 49 "))
        #expect(!FileManager.default.fileExists(atPath: file.path + ".2"))
    }
}

/// /proc files are longer than Foundation reads them (it stops at the first 4 KiB).
@Suite struct KernelFileTests {
    @Test func aLongProcFileIsReadWhole() throws {
        let maps = try #require(KernelFile.read("/proc/self/maps"))
        #expect(maps.utf8.count > 4096)
        #expect(maps.hasSuffix("\n"))
        #expect(KernelFile.read("/proc/self/no-such-file") == nil)
    }
}
