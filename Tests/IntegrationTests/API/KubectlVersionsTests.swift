import Foundation
import SkiffTesting
import Testing

/// The oldest and newest kubectl the project supports (1.27 and 1.33) do the everyday things against
/// the server: they speak different dialects (1.27 reads the OpenAPI v2 protobuf for apply and explain,
/// 1.33 sends protobuf bodies and reads aggregated discovery).
@Suite(.serialized) struct KubectlVersionsTests {
    static let directory = "/usr/lib/google-cloud-sdk/bin"

    @Test(arguments: ["1.27", "1.33"])
    func everydayCommands(version: String) async throws {
        let path = "\(Self.directory)/kubectl.\(version)"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            if Kubectl.isRequired { Issue.record("\(path) is required (CI=true) but was not found") }
            return
        }
        let server = try await TestAPIServer()
        do {
            try await check(Kubectl(binary: path, kubeconfig: server.kubeconfig))
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    func check(_ k: Kubectl) async throws {
        let pod = """
            apiVersion: v1
            kind: Pod
            metadata: {name: r1, labels: {tie: front, env: dev}}
            spec: {containers: [{name: main, image: busybox:latest, command: [sleep, "3600"]}]}
            """
        let applied = try await k.run(["apply", "-f", "-"], stdin: pod)
        #expect(applied.stdout.contains("pod/r1 created"), "\(applied)")
        let unchanged = try await k.run(["apply", "-f", "-"], stdin: pod)
        #expect(unchanged.stdout.contains("pod/r1 unchanged"), "\(unchanged)")
        let table = try await k.run("get", "pods", "--show-labels")
        #expect(table.stdout.range(of: #"NAME +READY +STATUS +RESTARTS +AGE +LABELS"#, options: .regularExpression) != nil, "\(table)")
        #expect(try await k.run("label", "pods", "r1", "env=test", "--overwrite").succeeded)
        #expect(try await k.run("get", "pods", "-l", "env=test", "-o", "name").stdout == "pod/r1\n")
        let explain = try await k.run("explain", "pod.spec.containers")
        #expect(explain.succeeded && explain.stdout.contains("image"), "\(explain)")
        let created = try await k.run("create", "configmap", "cfg", "--from-literal=a=1")
        #expect(created.succeeded, "\(created)")
        let ssa = try await k.run(["apply", "--server-side", "-f", "-"],
                                  stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {a: \"1\"}\n")
        #expect(ssa.stdout.contains("configmap/ssa serverside-applied"), "\(ssa)")
        let bad = try await k.run(["create", "-f", "-"],
                                  stdin: "apiVersion: v1\nkind: Pod\nmetadata: {name: BadName}\nspec: {containers: [{name: a, image: b}]}\n")
        #expect(!bad.succeeded && bad.stderr.contains("Invalid value"), "\(bad)")
    }
}
