import CLinuxExtras
import Foundation
import Testing

@testable import SkiffImages

@Suite struct ImageStoreTests {
    @Test func importsARootFSDirectory() throws {
        let scratch = try Scratch()
        try makeRootFS(at: scratch.sub("rootfs"))
        let store = try ImageStore(dataDirectory: scratch.url.appendingPathComponent("data"))
        var options = try tag("mybox")
        options.cmd = ["sh", "-c", "echo hi"]
        options.env = ["A=1", "PATH=/bin"]
        options.workingDir = "/tmp"
        let imported = try store.importImage(from: scratch.url.appendingPathComponent("rootfs"), options: options)
        #expect(imported.count == 1)

        let image = try #require(try store.resolve("docker.io/library/mybox:latest"))
        #expect(image.names.map(\.description) == ["docker.io/library/mybox:latest"])
        #expect(image.config.Cmd == ["sh", "-c", "echo hi"])
        #expect(image.config.Env == ["A=1", "PATH=/bin"])
        #expect(image.config.WorkingDir == "/tmp")
        #expect(image.layers.count == 1)
        #expect(image.layers[0].diffID == image.layers[0].digest)  // stored uncompressed
        #expect(try store.resolve("mybox")?.id == image.id)
        #expect(try store.resolve(image.id.description)?.id == image.id)
        #expect(try store.resolve(String(image.id.hex.prefix(12)))?.id == image.id)
        #expect(try store.resolve("mybox@\(image.manifestDigest)")?.id == image.id)

        let fs = image.layers[0].path.path
        let fm = FileManager.default
        #expect(fm.contentsEqual(atPath: fs + "/bin/busybox", andPath: "/usr/bin/busybox"))
        #expect(fm.isExecutableFile(atPath: fs + "/bin/busybox"))
        #expect(try fm.destinationOfSymbolicLink(atPath: fs + "/bin/sh") == "busybox")
        #expect(try fm.destinationOfSymbolicLink(atPath: fs + "/bin/ls") == "/bin/busybox")
        let deep =
            fs + "/deep/" + String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 60) + "/file.txt"
        #expect(fm.contents(atPath: deep) == Data("long\n".utf8))
        var a = stat()
        var b = stat()
        var t = stat()
        #expect(lstat(fs + "/etc/hostname", &a) == 0 && lstat(fs + "/etc/hostname.link", &b) == 0)
        #expect(a.st_ino == b.st_ino)  // the hard link survived
        #expect(lstat(fs + "/tmp", &t) == 0 && t.st_mode & 0o7777 == 0o1777)
        #expect(t.st_mtim.tv_sec == 1_700_000_000)

        // busybox runs from the unpacked layer.
        #expect(try sh(fs + "/bin/busybox", ["echo", "from-layer"]) == "from-layer\n")
    }

    @Test func rootFSNeedsATag() throws {
        let scratch = try Scratch()
        try makeRootFS(at: scratch.sub("rootfs"))
        let store = try ImageStore(directory: scratch.url.appendingPathComponent("images"))
        let error = #expect(throws: ImageError.self) {
            try store.importImage(from: scratch.url.appendingPathComponent("rootfs"))
        }
        #expect(error?.description.contains("--tag") == true)
        #expect(try store.list().isEmpty)
    }

    @Test func importsARootFSTarballWithWhiteouts() throws {
        let scratch = try Scratch()
        let root = scratch.sub("rootfs")
        try makeRootFS(at: root)
        try FileManager.default.createDirectory(atPath: root + "/var/opaque", withIntermediateDirectories: true)
        try "".write(toFile: root + "/var/opaque/.wh..wh..opq", atomically: false, encoding: .utf8)
        try "".write(toFile: root + "/etc/.wh.passwd", atomically: false, encoding: .utf8)
        try sh("/usr/bin/tar", ["-czf", scratch.sub("rootfs.tar.gz"), "-C", root, "."])
        let store = try ImageStore(directory: scratch.url.appendingPathComponent("images"))
        try store.importImage(
            from: scratch.url.appendingPathComponent("rootfs.tar.gz"), options: try tag("example.com/team/tarred:v1"))
        let image = try #require(try store.resolve("example.com/team/tarred:v1"))
        let layer = image.layers[0]
        let fs = layer.path.path
        #expect(FileManager.default.contentsEqual(atPath: fs + "/bin/busybox", andPath: "/usr/bin/busybox"))
        // The layer blob is the uncompressed tar: its digest is the diffID.
        #expect(layer.digest == layer.diffID)
        var info = stat()
        if geteuid() == 0 && layer.whiteouts == .overlay {
            #expect(lstat(fs + "/etc/passwd", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0)
            #expect(lstat(fs + "/etc/.wh.passwd", &info) != 0)
            var value = [UInt8](repeating: 0, count: 4)
            #expect(
                lgetxattr(fs + "/var/opaque", "trusted.overlay.opaque", &value, 4) == 1 && value[0] == UInt8(ascii: "y")
            )
        } else {
            #expect(layer.whiteouts == .marker)
            #expect(lstat(fs + "/etc/.wh.passwd", &info) == 0)
        }
    }

    @Test func sharedLayersAreUnpackedOnceAndCollectedWhenUnused() throws {
        let scratch = try Scratch()
        try makeRootFS(at: scratch.sub("rootfs"))
        let store = try ImageStore(directory: scratch.url.appendingPathComponent("images"))
        let first = try store.importImage(
            from: scratch.url.appendingPathComponent("rootfs"), options: try tag("one:1"))[0]
        var options = try tag("two:2")
        options.entrypoint = ["/bin/sh"]
        let second = try store.importImage(from: scratch.url.appendingPathComponent("rootfs"), options: options)[0]
        #expect(first.id != second.id)
        #expect(first.layers.map(\.diffID) == second.layers.map(\.diffID))
        #expect(first.layers[0].path == second.layers[0].path)
        #expect(try layerCount(store) == 1)
        #expect(try store.list().count == 2)

        try store.remove("one:1")
        #expect(try store.resolve("one:1") == nil)
        var report = try store.garbageCollect()
        #expect(report.removedLayers.isEmpty)
        #expect(report.removedBlobs.contains(first.id))
        #expect(try store.resolve("two:2")?.layers[0].path == first.layers[0].path)
        #expect(FileManager.default.fileExists(atPath: first.layers[0].path.path + "/bin/busybox"))

        // A lease (a container still using the image) keeps it after its name is gone.
        try store.addLease("pod-1", images: [second])
        try store.remove("two:2")
        report = try store.garbageCollect()
        #expect(report.removedLayers.isEmpty)
        try store.removeLease("pod-1")
        report = try store.garbageCollect()
        #expect(report.removedLayers == [second.layers[0].diffID])
        #expect(try layerCount(store) == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory.path + "/blobs/sha256").isEmpty)
        #expect(throws: ImageError.notFound("two:2")) { try store.remove("two:2") }
    }

    @Test func concurrentImportsSharingALayer() async throws {
        let scratch = try Scratch()
        try makeRootFS(at: scratch.sub("rootfs"))
        let store = try ImageStore(directory: scratch.url.appendingPathComponent("images"))
        let source = scratch.url.appendingPathComponent("rootfs")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<4 {
                group.addTask {
                    var options = try tag("parallel:\(i)")
                    options.env = ["N=\(i)"]
                    try store.importImage(from: source, options: options)
                }
            }
            try await group.waitForAll()
        }
        #expect(try store.list().count == 4)
        #expect(try layerCount(store) == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory.path + "/tmp").isEmpty)
    }

    @Test func badInputChangesNothing() throws {
        let scratch = try Scratch()
        try makeRootFS(at: scratch.sub("rootfs"))
        let store = try ImageStore(directory: scratch.url.appendingPathComponent("images"))
        try store.importImage(from: scratch.url.appendingPathComponent("rootfs"), options: try tag("keep:1"))
        let before = try snapshot(store)

        let missing = #expect(throws: ImageError.self) {
            try store.importImage(from: scratch.url.appendingPathComponent("nope"), options: try tag("x"))
        }
        #expect(missing?.description.contains("No such file or directory") == true)

        var garbage = [UInt8](repeating: 0x41, count: 4096)
        garbage[0] = 0x7F
        try Data(garbage).write(to: scratch.url.appendingPathComponent("corrupt.tar"))
        let corrupt = #expect(throws: ImageError.self) {
            try store.importImage(from: scratch.url.appendingPathComponent("corrupt.tar"), options: try tag("x"))
        }
        #expect(corrupt?.description.contains("not a tar archive") == true)

        // A truncated gzip tarball.
        try sh("/usr/bin/tar", ["-czf", scratch.sub("full.tar.gz"), "-C", scratch.sub("rootfs"), "."])
        let full = try Data(contentsOf: scratch.url.appendingPathComponent("full.tar.gz"))
        try full.prefix(full.count / 2).write(to: scratch.url.appendingPathComponent("half.tar.gz"))
        let truncated = #expect(throws: ImageError.self) {
            try store.importImage(from: scratch.url.appendingPathComponent("half.tar.gz"), options: try tag("x"))
        }
        #expect(truncated?.description.contains("truncated") == true)

        // A tar whose entry escapes the layer.
        try sh(
            "/usr/bin/tar",
            [
                "-cf", scratch.sub("escape.tar"), "-P", "--transform", "s,^,../../,", "-C", scratch.sub("rootfs"),
                "etc/hostname",
            ])
        let escape = #expect(throws: ImageError.self) {
            try store.importImage(from: scratch.url.appendingPathComponent("escape.tar"), options: try tag("x"))
        }
        #expect(escape?.description.contains("outside the layer") == true)

        #expect(throws: ImageError.self) {
            try store.importImage(from: scratch.url.appendingPathComponent("rootfs"), options: try tag("Bad/Name"))
        }
        let invalid = #expect(throws: ImageError.self) { try ImageReference(parsing: "UPPER") }
        #expect(invalid?.isInvalidReference == true)

        #expect(try snapshot(store) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory.path + "/tmp").isEmpty)
    }

    @Test func pullDecisions() throws {
        let scratch = try Scratch()
        try makeRootFS(at: scratch.sub("rootfs"))
        let store = try ImageStore(directory: scratch.url.appendingPathComponent("images"))
        try store.importImage(from: scratch.url.appendingPathComponent("rootfs"), options: try tag("present:1"))

        guard case .use(let image, _) = try store.pullDecision(image: "present:1", policy: .never) else {
            Issue.record("a present image is used")
            return
        }
        #expect(image.names.map(\.description) == ["docker.io/library/present:1"])
        guard case .use = try store.pullDecision(image: "docker.io/library/present:1", policy: nil) else {
            Issue.record("a present image is used under the default policy")
            return
        }
        guard case .fail(let reason, let message) = try store.pullDecision(image: "absent:2", policy: .never) else {
            Issue.record("Never with a missing image fails")
            return
        }
        #expect(reason == "ErrImageNeverPull")
        #expect(message == "Container image \"absent:2\" is not present with pull policy of Never")
        guard case .fail(let pullReason, let pullMessage) = try store.pullDecision(image: "absent", policy: nil) else {
            Issue.record("a missing image fails")
            return
        }
        #expect(pullReason == "ErrImagePull")
        #expect(pullMessage.contains("pulling from registries is not supported yet"))
        guard case .fail(let invalidReason, _) = try store.pullDecision(image: "Bad Name", policy: nil) else {
            Issue.record("an invalid name fails")
            return
        }
        #expect(invalidReason == "InvalidImageName")
    }
}

@Suite struct TarFormatTests {
    @Test(arguments: ["pax", "gnu", "ustar"])
    func tarFormatsUnpack(_ format: String) throws {
        let scratch = try Scratch()
        let root = scratch.sub("rootfs")
        try makeRootFS(at: root)
        // pax: extended headers; gnu: 'L' long-name entries; ustar: names split over prefix + name.
        try sh("/usr/bin/tar", ["--format=\(format)", "-cf", scratch.sub("layer.tar"), "-C", root, "."])
        let store = try ImageStore(directory: scratch.url.appendingPathComponent("images"))
        let image = try store.importImage(
            from: scratch.url.appendingPathComponent("layer.tar"), options: try tag("fmt:\(format)"))[0]
        let fs = image.layers[0].path.path
        let deep =
            fs + "/deep/" + String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 60) + "/file.txt"
        #expect(FileManager.default.contents(atPath: deep) == Data("long\n".utf8))
        #expect(FileManager.default.contentsEqual(atPath: fs + "/bin/busybox", andPath: "/usr/bin/busybox"))
        // The layer blob is the tar itself, byte for byte.
        #expect(
            image.layers[0].digest == Digest.of(try Data(contentsOf: scratch.url.appendingPathComponent("layer.tar"))))
    }

    @Test func entryThroughASymlinkIsRefused() throws {
        let scratch = try Scratch()
        let outside = scratch.sub("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let first = scratch.sub("first")
        let second = scratch.sub("second")
        try FileManager.default.createDirectory(atPath: first, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: second, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: first + "/evil", withDestinationPath: outside)
        try "pwned".write(toFile: second + "/f", atomically: false, encoding: .utf8)
        try sh("/usr/bin/tar", ["-cf", scratch.sub("evil.tar"), "-C", first, "evil"])
        try sh("/usr/bin/tar", ["-rf", scratch.sub("evil.tar"), "-C", second, "--transform", "s,^f,evil/f,", "f"])

        let store = try ImageStore(directory: scratch.url.appendingPathComponent("images"))
        let error = #expect(throws: ImageError.self) {
            try store.importImage(from: scratch.url.appendingPathComponent("evil.tar"), options: try tag("evil"))
        }
        #expect(error?.description.contains("goes through \"evil\", which is not a directory") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
        #expect(try store.list().isEmpty)
    }
}
