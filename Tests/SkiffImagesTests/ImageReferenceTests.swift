import Testing

@testable import SkiffImages

@Suite struct ImageReferenceTests {
    @Test(arguments: [
        ("busybox", "docker.io/library/busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36"),
        ("library/busybox", "docker.io/library/busybox:latest"),
        ("docker.io/busybox", "docker.io/library/busybox:latest"),
        ("index.docker.io/library/busybox:1", "docker.io/library/busybox:1"),
        ("bitnami/nginx:1.25", "docker.io/bitnami/nginx:1.25"),
        ("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"),
        ("localhost/app", "localhost/app:latest"),
        ("localhost:5000/team/app:v1.2-rc_3", "localhost:5000/team/app:v1.2-rc_3"),
        ("[::1]:5000/app", "[::1]:5000/app:latest"),
        ("quay.io/a/b/c__d-e.f", "quay.io/a/b/c__d-e.f:latest"),
        (
            "busybox@sha256:" + String(repeating: "a", count: 64),
            "docker.io/library/busybox@sha256:" + String(repeating: "a", count: 64)
        ),
        (
            "busybox:1@sha256:" + String(repeating: "b", count: 64),
            "docker.io/library/busybox:1@sha256:" + String(repeating: "b", count: 64)
        ),
    ])
    func normalises(_ input: String, _ expected: String) throws {
        #expect(try ImageReference(parsing: input).description == expected)
    }

    @Test(arguments: [
        "", "Busybox", "busybox:", ":latest", "busybox::1", "bus--/box", "-busybox", "busybox_", "a//b",
        "docker.io/Library/busybox", "busybox@sha256:abc", "busybox@md5:" + String(repeating: "a", count: 32),
        String(repeating: "a", count: 64), "busybox:" + String(repeating: "t", count: 129), "host:port/app", "bus box",
        "registry/" + String(repeating: "a", count: 250),
    ])
    func rejects(_ input: String) {
        let error = #expect(throws: ImageError.self) { try ImageReference(parsing: input) }
        #expect(error?.isInvalidReference == true)
        #expect(error?.description.contains("invalid image reference \"\(input)\"") == true)
    }

    @Test func uppercaseHostIsADomain() throws {
        // docker treats an uppercase first component as a host, which must then be valid.
        let reference = try ImageReference(parsing: "Example.COM/app")
        #expect(reference.domain == "Example.COM")
    }

    @Test func pullPolicyDefaultsAsKubernetes() {
        #expect(PullPolicy.defaulted(for: "busybox") == .always)
        #expect(PullPolicy.defaulted(for: "busybox:latest") == .always)
        #expect(PullPolicy.defaulted(for: "busybox:1.36") == .ifNotPresent)
        #expect(PullPolicy.defaulted(for: "busybox@sha256:" + String(repeating: "a", count: 64)) == .ifNotPresent)
        #expect(PullPolicy.effective("Never", image: "busybox") == .never)
        #expect(PullPolicy.effective("", image: "busybox:1") == .ifNotPresent)
        #expect(PullPolicy.effective(nil, image: "busybox") == .always)
    }
}
