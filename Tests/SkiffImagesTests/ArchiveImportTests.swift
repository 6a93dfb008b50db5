import Foundation
import Testing

@testable import SkiffImages

/// OCI layouts, OCI archives and docker archives, produced by the real skopeo from an image of ours.
@Suite struct ArchiveImportTests {
    /// A store holding one image made from a root filesystem: an OCI layout skopeo can read (`oci:DIR`).
    func sourceStore(_ scratch: Scratch) throws -> (ImageStore, Image) {
        try makeRootFS(at: scratch.sub("rootfs"))
        let store = try ImageStore(directory: scratch.url.appendingPathComponent("source"))
        var options = try tag("origin/app:1")
        options.cmd = ["/bin/sh"]
        let image = try store.importImage(from: scratch.url.appendingPathComponent("rootfs"), options: options)[0]
        return (store, image)
    }

    @Test func ociLayoutAndArchivesFromSkopeo() throws {
        let scratch = try Scratch()
        let (source, original) = try sourceStore(scratch)
        try sh(
            skopeo,
            [
                "--insecure-policy", "copy", "--quiet", "oci:\(source.directory.path)",
                "oci:\(scratch.sub("layout")):latest",
            ])
        try sh(
            skopeo,
            [
                "--insecure-policy", "copy", "--quiet", "oci:\(source.directory.path)",
                "docker-archive:\(scratch.sub("docker.tar")):example.com/saved/app:2",
            ])
        try sh(
            skopeo,
            [
                "--insecure-policy", "copy", "--quiet", "oci:\(source.directory.path)",
                "oci-archive:\(scratch.sub("oci.tar"))",
            ])
        try sh(
            skopeo,
            [
                "--insecure-policy", "copy", "--quiet", "--dest-compress", "oci:\(source.directory.path)",
                "oci:\(scratch.sub("gzipped")):latest",
            ])

        let store = try ImageStore(directory: scratch.url.appendingPathComponent("images"))
        // skopeo names the layout's image "latest", a tag only: a name is required.
        let unnamed = #expect(throws: ImageError.self) {
            try store.importImage(from: scratch.url.appendingPathComponent("layout"))
        }
        #expect(unnamed?.description.contains("--tag") == true)

        let fromLayout = try store.importImage(
            from: scratch.url.appendingPathComponent("layout"), options: try tag("layout:1"))[0]
        #expect(fromLayout.config.Cmd == ["/bin/sh"])
        #expect(fromLayout.layers.map(\.diffID) == original.layers.map(\.diffID))

        // docker save archives name their images.
        let fromDocker = try store.importImage(from: scratch.url.appendingPathComponent("docker.tar"))
        #expect(fromDocker.map { $0.names.map(\.description) } == [["example.com/saved/app:2"]])
        #expect(fromDocker[0].layers.map(\.diffID) == original.layers.map(\.diffID))
        #expect(fromDocker[0].config.Cmd == ["/bin/sh"])
        #expect(fromDocker[0].layers[0].digest == fromDocker[0].layers[0].diffID)  // docker archives hold plain tars

        let fromArchive = try store.importImage(
            from: scratch.url.appendingPathComponent("oci.tar"), options: try tag("archive:3"))[0]
        #expect(fromArchive.layers.map(\.diffID) == original.layers.map(\.diffID))

        var options = try tag("gzipped:4")
        options.env = ["MODE=gz"]
        let fromGzip = try store.importImage(from: scratch.url.appendingPathComponent("gzipped"), options: options)[0]
        #expect(fromGzip.layers[0].digest != fromGzip.layers[0].diffID)
        #expect(fromGzip.layers[0].mediaType.hasSuffix("gzip"))
        #expect(fromGzip.config.Env == ["MODE=gz"])
        #expect(fromGzip.layers.map(\.diffID) == original.layers.map(\.diffID))

        // Four names (layout:1 and archive:3 are the same manifest), one layer unpacked once.
        #expect(try store.list().flatMap(\.names).count == 4)
        #expect(try layerCount(store) == 1)
        #expect(
            FileManager.default.contentsEqual(
                atPath: fromDocker[0].layers[0].path.path + "/bin/busybox", andPath: "/usr/bin/busybox"))
    }

    @Test func layoutWithATamperedBlobIsRefused() throws {
        let scratch = try Scratch()
        let (source, original) = try sourceStore(scratch)
        try sh(
            skopeo,
            [
                "--insecure-policy", "copy", "--quiet", "oci:\(source.directory.path)",
                "oci:\(scratch.sub("layout")):latest",
            ])
        // skopeo may compress the layer on the way: the layer is the largest blob either way.
        let blobs = scratch.sub("layout") + "/blobs/sha256"
        let layerHex = try #require(
            try FileManager.default.contentsOfDirectory(atPath: blobs).max {
                fileSize(blobs + "/" + $0) < fileSize(blobs + "/" + $1)
            })
        let blob = blobs + "/" + layerHex
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: blob))
        try handle.seek(toOffset: 700)
        try handle.write(contentsOf: Data("tampered".utf8))
        try handle.close()

        let store = try ImageStore(directory: scratch.url.appendingPathComponent("images"))
        let before = try snapshot(store)
        let error = #expect(throws: ImageError.self) {
            try store.importImage(from: scratch.url.appendingPathComponent("layout"), options: try tag("bad:1"))
        }
        #expect(error?.isDigestMismatch == true)
        #expect(error?.description.contains("digest mismatch: expected sha256:\(layerHex)") == true)
        #expect(original.layers.count == 1)
        #expect(try snapshot(store) == before)
        #expect(try store.resolve("bad:1") == nil)
    }

    @Test func multiImageDockerArchive() throws {
        let scratch = try Scratch()
        let (source, _) = try sourceStore(scratch)
        // Two images in one archive: skopeo writes both names into manifest.json with --additional-tag.
        try sh(
            skopeo,
            [
                "--insecure-policy", "copy", "--quiet", "--additional-tag", "second/name:b",
                "oci:\(source.directory.path)",
                "docker-archive:\(scratch.sub("two.tar")):first/name:a",
            ])
        let store = try ImageStore(directory: scratch.url.appendingPathComponent("images"))
        let images = try store.importImage(from: scratch.url.appendingPathComponent("two.tar"))
        #expect(
            Set(images.flatMap(\.names).map(\.description)) == ["docker.io/first/name:a", "docker.io/second/name:b"])
        #expect(try store.list().count == 1)  // one image, two names
    }
}
