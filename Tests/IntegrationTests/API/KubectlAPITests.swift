import Foundation
import SkiffAPI
import SkiffTesting
import Testing

/// The API server as a kubectl user meets it (mirrors the acceptance scenario 01): discovery, objects,
/// labels and selectors, annotations, apply and patch, conflicts, validation, watch.
@Suite(.serialized) struct KubectlAPITests {
    /// kubectl is required in CI; elsewhere the suite is skipped when it is missing.
    static let kubectlPath = Kubectl.locate()

    func withCluster(_ body: (Kubectl) async throws -> Void) async throws {
        guard let path = Self.kubectlPath else {
            if Kubectl.isRequired { Issue.record("kubectl is required (CI=true) but was not found") }
            return
        }
        let server = try await TestAPIServer()
        let kubectl = Kubectl(binary: path, kubeconfig: server.kubeconfig)
        do { try await body(kubectl) } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test func versionAndDiscovery() async throws {
        try await withCluster { k in
            let version = try await k.run("version")
            #expect(version.stdout.contains("Server Version: v1.32"), "\(version)")
            let resources = try await k.run("api-resources")
            #expect(resources.stdout.contains("configmaps"), "\(resources)")
            #expect(resources.stdout.range(of: #"deployments +deploy +apps/v1 +true +Deployment"#, options: .regularExpression) != nil)
            #expect(try await k.run("get", "--raw", "/readyz").stdout == "ok")
        }
    }

    @Test func applyGetLabelAnnotateDelete() async throws {
        try await withCluster { k in
            let manifest = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: cfg, namespace: default, labels: {env: dev, tie: front}}
            data: {a: "1"}
            """
            #expect(try await k.run(["apply", "-f", "-"], stdin: manifest).stdout.contains("configmap/cfg created"))
            #expect(try await k.run(["apply", "-f", "-"], stdin: manifest).stdout.contains("configmap/cfg unchanged"))
            let table = try await k.run("get", "configmaps", "--show-labels")
            #expect(table.stdout.range(of: #"cfg +1 +.* env=dev,tie=front"#, options: .regularExpression) != nil, "\(table)")
            let refused = try await k.run("label", "configmap", "cfg", "env=test")
            #expect(!refused.succeeded && refused.stderr.contains("already has a value"), "\(refused)")
            #expect(try await k.run("label", "configmap", "cfg", "env=test", "--overwrite").stdout.contains("labeled"))
            #expect(try await k.run("get", "configmaps", "-l", "env in (test,gray)", "-o", "name").stdout == "configmap/cfg\n")
            #expect(try await k.run("get", "configmaps", "-l", "env!=test", "-o", "name").stdout == "")
            #expect(try await k.run("annotate", "configmap", "cfg", "desc=author by MT").succeeded)
            #expect(try await k.run("get", "configmap", "cfg", "-o", "yaml").stdout.contains("desc: author by MT"))
            #expect(try await k.run("delete", "configmap", "cfg").stdout.contains("deleted"))
            let gone = try await k.run("get", "configmap", "cfg")
            #expect(!gone.succeeded && gone.stderr.contains("NotFound"), "\(gone)")
        }
    }

    @Test func badInputChangesNothing() async throws {
        try await withCluster { k in
            let badName = try await k.run(["create", "-f", "-"], stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: BadName}\n")
            #expect(!badName.succeeded && badName.stderr.contains("Invalid value"), "\(badName)")
            let unknown = try await k.run(["create", "-f", "-"], stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: u1}\nbogus: 1\n")
            #expect(!unknown.succeeded && unknown.stderr.contains("unknown field"), "\(unknown)")
            let missingNamespace = try await k.run(["create", "-f", "-"], stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: nope}\n")
            #expect(!missingNamespace.succeeded && missingNamespace.stderr.contains("not found"), "\(missingNamespace)")
            #expect(try await k.run("get", "configmaps", "-o", "name").stdout == "")
        }
    }
}
