import Foundation
import Testing

@testable import SkiffKubelet

/// The CRI log format and `kubectl logs` options on hand-written files.
@Suite struct ContainerLogReaderTests {
    func file(_ text: String, rotated: String? = nil) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("logs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent("0.log")
        try text.write(to: url, atomically: true, encoding: .utf8)
        if let rotated { try rotated.write(to: ContainerLogReader.rotated(url), atomically: true, encoding: .utf8) }
        return url
    }

    func read(_ url: URL, _ query: [(String, String)] = []) throws -> String {
        var reader = ContainerLogReader(options: try ContainerLogOptions(query: query))
        var output: [UInt8] = []
        _ = reader.read(file: url, includeUnfinished: true) { output += $0; return true }
        return String(decoding: output, as: UTF8.self)
    }

    @Test func timesParseAndFormatAsGo() throws {
        let time = try #require(LogTime(rfc3339: Array("2026-12-06T06:10:23.120000000Z".utf8)))
        #expect(time.rfc3339Nano == "2026-12-06T06:10:23.12Z")
        #expect(LogTime(rfc3339: Array("2026-12-06T08:10:23+02:00".utf8))?.rfc3339Nano == "2026-12-06T06:10:23Z")
        #expect(LogTime(rfc3339: Array("1970-01-01T00:00:00Z".utf8))?.seconds == 0)
        #expect(LogTime(rfc3339: Array("not a time".utf8)) == nil)
    }

    @Test func entriesParse() {
        let entry = CRILogEntry(line: Array("2026-12-06T06:10:23.1Z stderr P part".utf8))
        #expect(entry.stream == .stderr && entry.partial && entry.content == Array("part".utf8))
        let empty = CRILogEntry(line: Array("2026-12-06T06:10:23.1Z stdout F ".utf8))
        #expect(empty.content == [0x0A] && !empty.partial)
        let raw = CRILogEntry(line: Array("plain text".utf8))
        #expect(raw.time == nil && raw.content == Array("plain text\n".utf8))
    }

    @Test func rotatedCopyComesFirstAndTailSpansBoth() throws {
        let url = try file("2026-12-06T06:00:02Z stdout F c\n", rotated: "2026-12-06T06:00:00Z stdout F a\n2026-12-06T06:00:01Z stdout F b\n")
        #expect(try read(url) == "a\nb\nc\n")
        #expect(try read(url, [("tailLines", "2")]) == "b\nc\n")
        #expect(try read(url, [("tailLines", "0")]) == "")
        #expect(try read(url, [("sinceSeconds", "60")]) == "", "all older than a minute")
    }

    @Test func tailCountsLinesAcrossFilesAndUnfinishedOnes() {
        func tail(_ count: Int, _ parts: [String]) -> [String] {
            ContainerLogReader.suffix(lines: count, of: parts.map { Array($0.utf8)[...] }).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(tail(2, ["a\nb\n", "c\n"]) == ["b\n", "c\n"])
        #expect(tail(5, ["a\nb\n", "c"]) == ["a\nb\n", "c"])
        #expect(tail(1, ["a\n\n"]) == ["\n"])
        #expect(tail(1, ["a\n", ""]) == ["a\n"])
        #expect(tail(0, ["a\n"]) == [])
    }

    @Test func largeLogsComeInPieces() throws {
        let line = "2026-12-06T06:00:00Z stdout F " + String(repeating: "x", count: 1000) + "\n"
        let url = try file(String(repeating: line, count: 300))
        var reader = ContainerLogReader(options: ContainerLogOptions())
        var pieces: [Int] = []
        _ = reader.read(file: url, includeUnfinished: true) { pieces.append($0.count); return true }
        #expect(pieces.count > 1 && pieces.reduce(0, +) == 300 * 1001)
    }

    @Test func badOptionsAreRefused() {
        #expect(throws: ContainerLogOptionsError.self) { try ContainerLogOptions(query: [("limitBytes", "0")]) }
        #expect(throws: ContainerLogOptionsError.self) { try ContainerLogOptions(query: [("sinceTime", "yesterday")]) }
        #expect(throws: ContainerLogOptionsError.self) {
            try ContainerLogOptions(query: [("sinceTime", "2026-12-06T06:00:00Z"), ("sinceSeconds", "5")])
        }
    }

    @Test func followerWakesOnNewLinesAndEndsWithTheContainer() async throws {
        let url = try file("")
        let follower = try ContainerLogFollower(file: url)
        let seen = SeenLines()
        let done = AsyncStream<Void>.makeStream()
        follower.start(offset: 0, handle: { entries in
            seen.add(entries)
            return true
        }, finished: { done.continuation.finish() })
        let handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile()
        handle.write(Data("2026-12-06T06:00:00Z stdout F one\n2026-12-06T06:00:00Z stdout P tw".utf8))
        try await Task.sleep(for: .milliseconds(200))
        #expect(seen.text == "one\n", "an unfinished line waits")
        handle.write(Data("\n2026-12-06T06:00:01Z stdout F o\n".utf8))
        try handle.close()
        follower.containerExited()
        for await _ in done.stream {}
        #expect(seen.text == "one\ntwo\n")
    }
}

extension ContainerLogReaderTests {
    @Test func followerCarriesOnAcrossARotation() async throws {
        let url = try file("2026-12-06T06:00:00Z stdout F one\n")
        let follower = try ContainerLogFollower(file: url)
        let seen = SeenLines()
        let done = AsyncStream<Void>.makeStream()
        follower.start(offset: 0, handle: { seen.add($0); return true }, finished: { done.continuation.finish() })
        try await Task.sleep(for: .milliseconds(100))
        // The writer renames the full file away and starts a new one, as a runtime rotates.
        let handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile()
        handle.write(Data("2026-12-06T06:00:01Z stdout F two\n".utf8))
        try handle.close()
        try FileManager.default.moveItem(at: url, to: ContainerLogReader.rotated(url))
        try "2026-12-06T06:00:02Z stdout F three\n".write(to: url, atomically: false, encoding: .utf8)
        try await Task.sleep(for: .milliseconds(200))
        follower.containerExited()
        for await _ in done.stream {}
        #expect(seen.text == "one\ntwo\nthree\n")
    }
}

final class SeenLines: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    func add(_ entries: [CRILogEntry]) { lock.withLock { bytes += entries.flatMap(\.content) } }
    var text: String { lock.withLock { String(decoding: bytes, as: UTF8.self) } }
}
