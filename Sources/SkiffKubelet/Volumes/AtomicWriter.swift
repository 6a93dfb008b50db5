import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a volume's files so a reader never sees a half-updated set, in upstream's `AtomicWriter` layout:
/// the files live in a timestamped directory `..2026_12_06_06_10_23.<n>`, `..data` is a symlink to it, and
/// each top-level name is a symlink into `..data`. An update writes a new directory and swaps `..data` with
/// one `rename`; an unchanged payload writes nothing.
struct AtomicWriter {
    struct File: Equatable {
        var data: Data
        /// Permission bits (`defaultMode`/`mode`, 0644 unless given).
        var mode: Int
    }

    let directory: URL

    static let dataDirName = "..data"
    static let tmpDataDirName = "..data_tmp"

    func write(_ payload: [String: File]) throws(ConfigFailure) {
        for path in payload.keys { try Self.validate(path) }
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true)
            let dataLink = directory.appendingPathComponent(Self.dataDirName).path
            let oldTarget = try? fm.destinationOfSymbolicLink(atPath: dataLink)
            if let oldTarget, current(in: directory.appendingPathComponent(oldTarget)) == payload { return }
            let stamp = Self.stamp()
            let newName = "..\(stamp).\(UInt32.random(in: 0..<UInt32.max))"
            let newDir = directory.appendingPathComponent(newName)
            try fm.createDirectory(at: newDir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
            for (path, file) in payload {
                let url = newDir.appendingPathComponent(path)
                try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try file.data.write(to: url)
                try fm.setAttributes([.posixPermissions: file.mode & 0o7777], ofItemAtPath: url.path)
            }
            let tmpLink = directory.appendingPathComponent(Self.tmpDataDirName).path
            try? fm.removeItem(atPath: tmpLink)
            try fm.createSymbolicLink(atPath: tmpLink, withDestinationPath: newName)
            guard rename(tmpLink, dataLink) == 0 else {
                throw ConfigFailure(description: "rename \(tmpLink) \(dataLink): \(String(cString: strerror(errno)))")
            }
            let visible = Set(payload.keys.map { String($0.split(separator: "/").first ?? "") })
            for name in visible {
                let link = directory.appendingPathComponent(name).path
                if (try? fm.destinationOfSymbolicLink(atPath: link)) == nil {
                    try? fm.removeItem(atPath: link)
                    try fm.createSymbolicLink(atPath: link, withDestinationPath: "\(Self.dataDirName)/\(name)")
                }
            }
            for name in try fm.contentsOfDirectory(atPath: directory.path) where !name.hasPrefix("..") && !visible.contains(name) {
                try? fm.removeItem(at: directory.appendingPathComponent(name))
            }
            if let oldTarget, oldTarget != newName { try? fm.removeItem(at: directory.appendingPathComponent(oldTarget)) }
        } catch let error as ConfigFailure {
            throw error
        } catch {
            throw ConfigFailure(description: "failed to write volume files in \(directory.path): \(error)")
        }
    }

    /// The files now in `dir` (relative paths), to tell whether an update changes anything.
    private func current(in dir: URL) -> [String: File]? {
        guard let walker = FileManager.default.enumerator(atPath: dir.path) else { return nil }
        var files: [String: File] = [:]
        while let path = walker.nextObject() as? String {
            let full = dir.appendingPathComponent(path).path
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: full),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let data = FileManager.default.contents(atPath: full) else { continue }
            files[path] = File(data: data, mode: (attributes[.posixPermissions] as? Int) ?? 0)
        }
        return files
    }

    /// Upstream's `validatePath`: relative, no `..` element, not starting with `..`.
    static func validate(_ path: String) throws(ConfigFailure) {
        if path.isEmpty { throw ConfigFailure(description: "invalid path: must not be empty: \(path)") }
        if path.hasPrefix("/") { throw ConfigFailure(description: "invalid path: must be relative path: \(path)") }
        if path.split(separator: "/").contains("..") {
            throw ConfigFailure(description: "invalid path: must not contain '..': \(path)")
        }
        if path.hasPrefix("..") { throw ConfigFailure(description: "invalid path: must not start with '..': \(path)") }
    }

    /// Go's `2006_01_02_15_04_05` in UTC.
    static func stamp(_ date: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return [pad(c.year, 4), pad(c.month, 2), pad(c.day, 2), pad(c.hour, 2), pad(c.minute, 2), pad(c.second, 2)]
            .joined(separator: "_")
    }
}
