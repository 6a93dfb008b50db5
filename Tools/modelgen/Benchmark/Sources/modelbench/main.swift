import Foundation
import SkiffAPI

// Decodes and encodes the Pod and Deployment fixtures of Tests/SkiffAPIModelsTests many times and prints one JSON
// object per result (as `skiff bench` does), next to parsing the same JSON text for comparison.
// Figures on the 2-core development machine (release, one core): see ../README.md.

let fixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Tests/SkiffAPIModelsTests/Fixtures")

/// The JSON text of a fixture file: what lies between its `#"""` and `"""#`.
func fixture(_ file: String) throws -> [UInt8] {
    let text = try String(contentsOf: fixtures.appendingPathComponent(file), encoding: .utf8)
    guard let open = text.range(of: "#\"\"\"")?.upperBound,
        let close = text.range(of: "\"\"\"#", range: open..<text.endIndex)?.lowerBound
    else { throw CocoaError(.fileReadCorruptFile) }
    return Array(text[open..<close].utf8)
}

func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// Best of five rounds, in microseconds per call.
func measure(_ iterations: Int, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<min(iterations, 1_000) { try body() }
    var best = Double.infinity
    for _ in 0..<5 {
        let start = seconds()
        for _ in 0..<iterations { try body() }
        best = min(best, (seconds() - start) / Double(iterations))
    }
    return best * 1e6
}

func report(_ name: String, bytes: Int, microseconds: Double) {
    let rounded = (microseconds * 100).rounded() / 100
    let perSecond = Int(1e6 / microseconds)
    print(#"{"benchmark":"\#(name)","bytes":\#(bytes),"us_per_op":\#(rounded),"ops_per_s":\#(perSecond)}"#)
}

func run<Model: KubernetesObject>(_ name: String, _ type: Model.Type, file: String) throws {
    let text = try fixture(file)
    let json = try JSONValue(parsing: text)
    let model = try Model(json: json)
    report("json-parse-\(name)", bytes: text.count, microseconds: try measure(20_000) { _ = try JSONValue(parsing: text) })
    report("model-decode-\(name)", bytes: text.count, microseconds: try measure(20_000) { _ = try Model(json: json) })
    report("model-encode-\(name)", bytes: text.count, microseconds: measure(20_000) { _ = model.json })
    let limits = (0..<1_000).map { Quantity(["100m", "2Gi", "0.5", "512Mi", "1e3"][$0 % 5]) }
    report("quantity-milli-value", bytes: 0, microseconds: measure(200) { for q in limits { _ = q.milliValue } } / 1_000)
}

try run("pod", core.v1.Pod.self, file: "PodFixture.swift")
try run("deployment", apps.v1.Deployment.self, file: "DeploymentFixture.swift")
