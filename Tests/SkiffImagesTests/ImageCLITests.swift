import Foundation
import SkiffTesting
import Testing

@testable import SkiffImages

/// `skiff image …` through the real binary.
@Suite struct ImageCLITests {
    func skiff(_ args: [String]) async throws -> Kubectl.Result {
        try await SkiffProcess.run(args)
    }

    @Test func importListInspectRemovePrune() async throws {
        let scratch = try Scratch()
        try makeRootFS(at: scratch.sub("rootfs"))
        try sh("/usr/bin/tar", ["-cf", scratch.sub("rootfs.tar"), "-C", scratch.sub("rootfs"), "."])
        let data = ["--data-dir", scratch.sub("data")]

        var result = try await skiff(
            [
                "image", "import", scratch.sub("rootfs"), "--tag", "busybox", "--cmd", #"["sh","-c","echo hi"]"#,
                "--env", "GREETING=hello", "--workdir", "/tmp",
            ] + data)
        #expect(result.succeeded, "\(result)")
        #expect(result.stdout.hasPrefix("Imported image: docker.io/library/busybox:latest (ID sha256:"))
        result = try await skiff(
            [
                "image", "import", scratch.sub("rootfs.tar"), "--tag", "registry.local:5000/tools/box:1.0",
                "--entrypoint", "/bin/sh",
            ] + data)
        #expect(result.succeeded, "\(result)")

        result = try await skiff(["image", "ls"] + data)
        #expect(result.succeeded, "\(result)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(
            lines[0].hasPrefix("IMAGE") && lines[0].contains("TAG") && lines[0].contains("IMAGE ID")
                && lines[0].hasSuffix("SIZE"))
        #expect(lines[1].hasPrefix("docker.io/library/busybox") && lines[1].contains("latest"))
        #expect(lines[2].hasPrefix("registry.local:5000/tools/box") && lines[2].contains("1.0"))
        let columns = lines[1].split(separator: " ", omittingEmptySubsequences: true)
        #expect(columns.count == 4 && columns[2].count == 12 && columns[3].hasSuffix("MB"))

        result = try await skiff(["image", "inspect", "busybox:latest"] + data)
        #expect(result.succeeded, "\(result)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["repoTags"] as? [String] == ["docker.io/library/busybox:latest"])
        let config = try #require(json["config"] as? [String: Any])
        #expect(config["Cmd"] as? [String] == ["sh", "-c", "echo hi"])

        // A command line that is not JSON is split into words as a shell would.
        result = try await skiff(["image", "import", scratch.sub("rootfs"), "--tag", "web:1",
                                  "--cmd", #"httpd -f -p 80 -h "/srv/my site""#] + data)
        #expect(result.succeeded, "\(result)")
        result = try await skiff(["image", "inspect", "web:1"] + data)
        let web = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((web["config"] as? [String: Any])?["Cmd"] as? [String] == ["httpd", "-f", "-p", "80", "-h", "/srv/my site"])
        result = try await skiff(["image", "import", scratch.sub("rootfs"), "--tag", "bad:1", "--cmd", #"sh -c "unterminated"#] + data)
        #expect(!result.succeeded && result.stderr.contains("unterminated quote"), "\(result)")
        _ = try await skiff(["image", "rm", "web:1"] + data)
        #expect(config["Env"] as? [String] == ["GREETING=hello"])
        #expect(config["WorkingDir"] as? String == "/tmp")
        let layers = try #require(json["layers"] as? [[String: Any]])
        #expect(layers.count == 1)

        // The two images have different layers (our tar writer and GNU tar write different bytes):
        // removing one deletes its content and leaves the other whole.
        result = try await skiff(["image", "rm", "busybox"] + data)
        #expect(result.succeeded, "\(result)")
        #expect(result.stdout.contains("Untagged: docker.io/library/busybox:latest"))
        #expect(result.stdout.contains("Deleted: sha256:"))
        result = try await skiff(["image", "inspect", "registry.local:5000/tools/box:1.0"] + data)
        #expect(result.succeeded, "\(result)")

        result = try await skiff(["image", "rm", "busybox", "nothere"] + data)
        #expect(!result.succeeded)
        #expect(result.stderr.contains("image \"busybox\" not found"))
        #expect(result.stderr.contains("image \"nothere\" not found"))

        result = try await skiff(["image", "import", scratch.sub("missing"), "--tag", "x"] + data)
        #expect(!result.succeeded)
        #expect(result.stderr.contains("No such file or directory"))
        result = try await skiff(["image", "import", scratch.sub("rootfs"), "--tag", "Not/Valid"] + data)
        #expect(!result.succeeded)
        #expect(result.stderr.contains("invalid image reference \"Not/Valid\""))
        result = try await skiff(["image", "pull", "nginx"] + data)
        #expect(!result.succeeded)
        #expect(result.stderr.contains("pulling from registries is not supported yet"))

        result = try await skiff(["image", "rm", "registry.local:5000/tools/box:1.0"] + data)
        #expect(result.succeeded, "\(result)")
        result = try await skiff(["image", "prune"] + data)
        #expect(result.succeeded, "\(result)")
        #expect(result.stdout.contains("Total reclaimed space:"))
        result = try await skiff(["image", "ls"] + data)
        #expect(result.stdout.split(separator: "\n").count == 1)
        let store = try ImageStore(dataDirectory: scratch.url.appendingPathComponent("data"))
        #expect(try layerCount(store) == 0)
    }
}
