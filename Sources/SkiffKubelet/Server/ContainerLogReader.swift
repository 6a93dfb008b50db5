public import Foundation

/// Reads a container's CRI-format log as `kubectl logs` shows it: the text of each entry (pieces of a long
/// line joined back), optionally prefixed with its time, from the last `tailLines` lines, entries since a
/// time, cut at `limitBytes`. A rotated copy (`<n>.log.1`) is read before the file itself.
public struct ContainerLogReader: Sendable {
    public var options: ContainerLogOptions
    /// Bytes left under `limitBytes` (nil: no limit).
    public private(set) var remaining: Int?

    public init(options: ContainerLogOptions) {
        self.options = options
        remaining = options.limitBytes
    }

    /// The limit was reached: nothing more is to be written.
    public var isExhausted: Bool { remaining.map { $0 <= 0 } ?? false }

    /// The rotated copy of `file`, read before it.
    public static func rotated(_ file: URL) -> URL { URL(fileURLWithPath: file.path + ".1") }

    /// What the whole of `file` (and its rotated copy) shows; `consumed` is how far into `file` it read, where
    /// following continues. An unfinished last line is left for the follower unless `includeUnfinished`.
    public mutating func read(file: URL, includeUnfinished: Bool) -> (output: [UInt8], consumed: Int) {
        let old = (try? Data(contentsOf: Self.rotated(file))).map { [UInt8]($0) } ?? []
        let current = (try? Data(contentsOf: file)).map { [UInt8]($0) } ?? []
        let complete = includeUnfinished ? current.count : current.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        var lines = Self.lines(old) + Self.lines(current[..<complete])
        if let tail = options.tailLines { lines = Array(lines.suffix(tail)) }
        return (render(lines.map { CRILogEntry(line: $0) }), complete)
    }

    /// The text of `entries`, as far as the options let through.
    public mutating func render(_ entries: [CRILogEntry]) -> [UInt8] {
        var output: [UInt8] = []
        for entry in entries where !isExhausted { render(entry, into: &output) }
        return output
    }

    /// Takes the complete lines at the front of `buffer` (an unfinished last line stays) as entries.
    static func entries(consuming buffer: inout [UInt8]) -> [CRILogEntry] {
        guard let end = buffer.lastIndex(of: 0x0A) else { return [] }
        let entries = lines(buffer[...end]).map { CRILogEntry(line: $0) }
        buffer.removeSubrange(...end)
        return entries
    }

    mutating func render(_ entry: CRILogEntry, into output: inout [UInt8]) {
        if let since = options.since, let time = entry.time, time < since { return }
        var text: [UInt8] = []
        if options.timestamps, let time = entry.time { text = Array((time.rfc3339Nano + " ").utf8) }
        text += entry.content
        if let left = remaining {
            if text.count > left { text.removeSubrange(left...) }
            remaining = left - text.count
        }
        output += text
    }

    static func lines(_ bytes: some Collection<UInt8>) -> [ArraySlice<UInt8>] {
        var result = Array(bytes).split(separator: 0x0A, omittingEmptySubsequences: false)
        if result.last?.isEmpty == true { result.removeLast() }
        return result
    }
}
