import Foundation
import SkiffTesting
import Testing

/// `kubectl autoscale` and `kubectl get hpa` against autoscalers served in autoscaling/v2 and v1:
/// the current kubectl and the oldest supported one (which may write through another version).
@Suite(.serialized) struct KubectlAutoscaleTests {
    static let oldest = "/usr/lib/google-cloud-sdk/bin/kubectl.1.27"

    @Test(arguments: ["default", oldest])
    func autoscaleThenGetInBothVersions(binary: String) async throws {
        let path = binary == "default" ? Kubectl.locate() : binary
        guard let path, FileManager.default.isExecutableFile(atPath: path) else {
            if Kubectl.isRequired { Issue.record("kubectl \(binary) is required (CI=true) but was not found") }
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

    /// kubectl ≥ 1.30 drops the version from a short name (`hpa.v1.autoscaling` reads the preferred
    /// version: its shortcut expander rebuilds the resource without it), so the full name is used.
    let v1Name = "horizontalpodautoscalers.v1.autoscaling"

    func check(_ k: Kubectl) async throws {
        let deployment = try await k.run("create", "deployment", "x", "--image=busybox:latest")
        #expect(deployment.succeeded, "\(deployment)")
        let autoscaled = try await k.run("autoscale", "deploy", "x", "--min=2", "--max=5", "--cpu-percent=80")
        #expect(autoscaled.succeeded && autoscaled.stdout.contains("horizontalpodautoscaler.autoscaling/x autoscaled"), "\(autoscaled)")

        let table = try await k.run("get", "hpa")
        #expect(table.stdout.range(of: #"NAME +REFERENCE +TARGETS +MINPODS +MAXPODS +REPLICAS +AGE"#, options: .regularExpression) != nil,
                "\(table)")
        #expect(table.stdout.range(of: #"x +Deployment/x +cpu: <unknown>/80% +2 +5 +0"#, options: .regularExpression) != nil, "\(table)")

        let v1 = try await k.run("get", v1Name, "x", "-o", "yaml")
        #expect(v1.stdout.contains("apiVersion: autoscaling/v1"), "\(v1)")
        #expect(v1.stdout.contains("targetCPUUtilizationPercentage: 80"), "\(v1)")
        #expect(v1.stdout.contains("maxReplicas: 5") && v1.stdout.contains("minReplicas: 2"), "\(v1)")
        let v2 = try await k.run("get", "horizontalpodautoscalers.v2.autoscaling", "x", "-o", "jsonpath={.spec.metrics[0].resource.target.averageUtilization}")
        #expect(v2.stdout == "80", "\(v2)")

        // Edited through v1, seen through v2.
        let patched = try await k.run("patch", v1Name, "x", "--type=merge", "-p", #"{"spec":{"targetCPUUtilizationPercentage":60}}"#)
        #expect(patched.succeeded, "\(patched)")
        let after = try await k.run("get", "hpa", "x", "-o", "jsonpath={.apiVersion} {.spec.metrics[0].resource.target.averageUtilization}")
        #expect(after.stdout == "autoscaling/v2 60", "\(after)")
        let bad = try await k.run("patch", v1Name, "x", "--type=merge", "-p", #"{"spec":{"targetCPUUtilizationPercentage":-5}}"#)
        #expect(!bad.succeeded && bad.stderr.contains("spec.targetCPUUtilizationPercentage"), "\(bad)")
        #expect(try await k.run("delete", v1Name, "x").succeeded)
        #expect(try await k.run("get", "hpa", "-o", "name").stdout.isEmpty)
    }
}
