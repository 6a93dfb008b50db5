import Foundation
import SkiffAPI
import SkiffTesting
import Testing

/// Behaviours kubectl relies on, checked with the real kubectl where they used to differ from upstream.
@Suite(.serialized) struct KubectlCompatibilityTests {
    func withCluster(_ body: (Kubectl) async throws -> Void) async throws {
        try await KubectlAPITests().withCluster(body)
    }

    static let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: default}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: c, image: busybox}]}
        """

    /// An object last applied client-side is taken over by `kubectl apply --server-side` (and `diff
    /// --server-side`), as upstream's migration does, instead of a conflict with kubectl-client-side-apply.
    @Test func serverSideApplyTakesOverFromClientSideApply() async throws {
        try await withCluster { k in
            #expect(try await k.run(["apply", "-f", "-"], stdin: Self.deployment).succeeded)
            let changed = Self.deployment.replacingOccurrences(of: "replicas: 2", with: "replicas: 3")
            let diff = try await k.run(["diff", "--server-side", "-f", "-"], stdin: changed)
            #expect(diff.status == 1 && diff.stdout.contains("replicas: 3"), "\(diff)")
            let applied = try await k.run(["apply", "--server-side", "-f", "-"], stdin: changed)
            #expect(applied.succeeded && applied.stdout.contains("serverside-applied") && applied.stderr.isEmpty, "\(applied)")
            #expect(try await k.run("get", "deployment", "web", "-o", "jsonpath={.spec.replicas}").stdout == "3")
            // kubectl moved the fields to its server-side manager; the client-side one is gone.
            let managers = try await k.run("get", "deployment", "web", "--show-managed-fields", "-o",
                                           "jsonpath={range .metadata.managedFields[*]}{.manager}/{.operation} {end}")
            #expect(managers.stdout.contains("kubectl/Apply"), "\(managers)")
            #expect(!managers.stdout.contains("kubectl-client-side-apply"), "\(managers)")
            // A field someone else changed since is still a conflict.
            #expect(try await k.run("scale", "deployment", "web", "--replicas=5").succeeded)
            let conflicted = try await k.run(["apply", "--server-side", "-f", "-"], stdin: changed)
            #expect(!conflicted.succeeded && conflicted.stderr.contains("conflict"), "\(conflicted)")
        }
    }

    /// `kubectl replace` of a pod's own manifest, with what the server defaulted and assigned copied in,
    /// changes nothing and succeeds.
    @Test func replacingAPodWithItsOwnManifestSucceeds() async throws {
        try await withCluster { k in
            let pod = """
                apiVersion: v1
                kind: Pod
                metadata: {name: p, namespace: default}
                spec: {containers: [{name: c, image: busybox, command: [sleep, "3600"]}]}
                """
            #expect(try await k.run(["apply", "-f", "-"], stdin: pod).succeeded)
            let live = try await k.run("get", "pod", "p", "-o", "yaml")
            let replaced = try await k.run(["replace", "-f", "-"], stdin: live.stdout)
            #expect(replaced.succeeded, "\(replaced)")
            // Only the image may change.
            let current = try await k.run("get", "pod", "p", "-o", "yaml").stdout
            let image = current.replacingOccurrences(of: "image: busybox", with: "image: busybox:1.36")
            #expect(try await k.run(["replace", "-f", "-"], stdin: image).succeeded)
            let latest = try await k.run("get", "pod", "p", "-o", "yaml").stdout
            let command = latest.replacingOccurrences(of: "- \"3600\"", with: "- \"60\"")
            let refused = try await k.run(["replace", "-f", "-"], stdin: command)
            #expect(!refused.succeeded && refused.stderr.contains("pod updates may not change fields"), "\(refused)")
        }
    }

    /// `--request-timeout` on a watch is the client's own: the server ignores `timeout=` on watches, as upstream
    /// does, so the client's timer ends the stream (kubectl's test-cmd looks for that at -v=5), and kubectl
    /// exits 0.
    @Test func aWatchEndsAtTheClientsRequestTimeout() async throws {
        try await withCluster { k in
            let watched = try await k.run("get", "pods", "--watch", "-v=5", "--request-timeout=1s")
            #expect(watched.succeeded, "\(watched)")
            // The stream was ended by the client's timer, not closed by the server (Go words the timeout
            // "... while reading body" or "context deadline exceeded", depending on when it fires).
            #expect(watched.stderr.contains("Unable to decode an event from the watch stream"), "\(watched.stderr.suffix(500))")
            #expect(watched.stderr.contains("while reading body") || watched.stderr.contains("context deadline exceeded"),
                    "\(watched.stderr.suffix(500))")
        }
    }
}
