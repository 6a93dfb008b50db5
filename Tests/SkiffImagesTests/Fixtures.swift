import Foundation
import Testing
import SkiffTesting

@testable import SkiffImages

/// A scratch directory removed at the end of a test.
final class Scratch {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "skiff-images-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? removeTree(url.path) }

    func sub(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Runs a program to completion; throws with its output when it fails. Started through the test kit's
/// `TestChild` (Foundation's `Process.run` can crash the test process on Linux).
@discardableResult
func sh(_ program: String, _ args: [String]) throws -> String {
    let pipe = try cloexecPipe()
    let fds = [pipe.read, pipe.write]
    let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
    defer { close(null) }
    let child: TestChild
    do {
        child = try TestChild(path: program, arguments: args, environment: ProcessInfo.processInfo.environment,
                              stdin: null, stdout: fds[1], stderr: fds[1])
    } catch {
        close(fds[0])
        close(fds[1])
        throw error
    }
    close(fds[1])
    var data = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
        if count > 0 { data += buffer[0..<count] } else if count < 0, errno == EINTR { continue } else { break }
    }
    close(fds[0])
    let status = child.wait()
    let text = String(decoding: data, as: UTF8.self)
    guard status == 0 else {
        throw ImageError.badInput("\(program) \(args.joined(separator: " ")) failed (\(status)): \(text)")
    }
    return text
}

/// A small root filesystem: busybox, links, a long path, a hard link, a read-only directory.
func makeRootFS(at root: String) throws {
    let fm = FileManager.default
    for dir in [
        "bin", "etc", "tmp", "deep/" + String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 60),
    ] {
        try fm.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true)
    }
    try fm.copyItem(atPath: "/usr/bin/busybox", toPath: root + "/bin/busybox")
    try fm.createSymbolicLink(atPath: root + "/bin/sh", withDestinationPath: "busybox")
    try fm.createSymbolicLink(atPath: root + "/bin/ls", withDestinationPath: "/bin/busybox")
    try "skiff\n".write(toFile: root + "/etc/hostname", atomically: false, encoding: .utf8)
    try fm.linkItem(atPath: root + "/etc/hostname", toPath: root + "/etc/hostname.link")
    try "long\n".write(
        toFile: root + "/deep/" + String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 60)
            + "/file.txt",
        atomically: false, encoding: .utf8)
    _ = chmod(root + "/tmp", 0o1777)
    let times = [timespec(tv_sec: 1_700_000_000, tv_nsec: 0), timespec(tv_sec: 1_700_000_000, tv_nsec: 0)]
    // Fixed times: the same tree archives to the same layer every time.
    for path in try fm.subpathsOfDirectory(atPath: root).sorted().reversed() {
        _ = utimensat(AT_FDCWD, root + "/" + path, times, AT_SYMLINK_NOFOLLOW)
    }
}

/// The store's visible state: index, blobs and layers (for "a failed import changes nothing").
func snapshot(_ store: ImageStore) throws -> [String] {
    let fm = FileManager.default
    let index =
        fm.contents(atPath: store.directory.path + "/index.json").map { String(decoding: $0, as: UTF8.self) }
        ?? "<none>"
    return [index] + (try fm.contentsOfDirectory(atPath: store.directory.path + "/blobs/sha256")).sorted()
        + (try fm.contentsOfDirectory(atPath: store.directory.path + "/layers")).sorted()
}

func layerCount(_ store: ImageStore) throws -> Int {
    try FileManager.default.contentsOfDirectory(atPath: store.directory.path + "/layers").count
}

func tag(_ text: String) throws -> ImportOptions { ImportOptions(tag: try ImageReference(parsing: text)) }

let skopeo = "/usr/bin/skopeo"
