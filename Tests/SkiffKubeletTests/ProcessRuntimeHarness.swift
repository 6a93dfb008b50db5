import Foundation

@testable import SkiffKubelet

/// A process runtime on a scratch data directory, shut down and removed after `body`.
func withProcessRuntime(_ name: String, _ body: (ProcessRuntime, URL) async throws -> Void) async throws {
    let data = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-\(name)-\(UUID().uuidString.prefix(8))")
    let runtime = ProcessRuntime(dataDirectory: data)
    defer { try? FileManager.default.removeItem(at: data) }
    try await body(runtime, data)
    await runtime.shutdown(grace: .seconds(1))
}

/// The log of container `c`'s first run in pod `uid` ("" before it exists).
func containerLog(_ runtime: ProcessRuntime, _ uid: String) -> String {
    (try? String(contentsOf: runtime.logFile(podUID: uid, container: "c", restartCount: 0), encoding: .utf8)) ?? ""
}
