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

    /// Hands what `file` (after its rotated copy) shows to `emit` in pieces of about 64 KiB (false: stop);
    /// returns how far into `file` it read, where following continues. An unfinished last line is left for
    /// the follower unless `includeUnfinished`. Only the files, not their rendering, are held in memory.
    public mutating func read(file: URL, includeUnfinished: Bool, emit: ([UInt8]) -> Bool) -> Int {
        let old = (try? Data(contentsOf: Self.rotated(file))).map { [UInt8]($0) } ?? []
        let current = (try? Data(contentsOf: file)).map { [UInt8]($0) } ?? []
        let complete = includeUnfinished ? current.count : current.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        var parts = [old[...], current[..<complete]]
        if let tail = options.tailLines { parts = Self.suffix(lines: tail, of: parts) }
        var output: [UInt8] = []
        output.reserveCapacity(80 * 1024)
        for part in parts {
            var start = part.startIndex
            while start < part.endIndex, !isExhausted {
                let end = part[start...].firstIndex(of: 0x0A) ?? part.endIndex
                render(CRILogEntry(line: part[start..<end]), into: &output)
                start = end + 1
                if output.count >= 64 * 1024 {
                    guard emit(output) else { return complete }
                    output.removeAll(keepingCapacity: true)
                }
            }
        }
        if !output.isEmpty { _ = emit(output) }
        return complete
    }

    /// The last `count` lines of `parts` (read in order), as the same parts cut at the first line kept.
    static func suffix(lines count: Int, of parts: [ArraySlice<UInt8>]) -> [ArraySlice<UInt8>] {
        var left = count
        var kept: [ArraySlice<UInt8>] = []
        for part in parts.reversed() {
            guard left > 0 else { break }
            // `index`: the end of the line being counted (its newline, or the end of an unfinished one).
            var index = part.last == 0x0A ? part.endIndex - 1 : part.endIndex
            var start = part.endIndex
            while left > 0 {
                if let newline = part[part.startIndex..<index].lastIndex(of: 0x0A) {
                    start = newline + 1
                    index = newline
                    left -= 1
                } else {
                    // The part's first line, if there is one.
                    if index < part.endIndex || index > part.startIndex {
                        start = part.startIndex
                        left -= 1
                    }
                    break
                }
            }
            if start < part.endIndex { kept.insert(part[start...], at: 0) }
        }
        return kept
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
