import Foundation
import SkiffAPI

// Decodes the Deployment fixtures of Tests/SkiffAPITests/Protobuf many times and prints one JSON object per result
// (as `skiff bench` does), next to parsing the same object as JSON text for comparison.
// Figures on the 2-core development machines (release, one core): see ../README.md.

let fixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Tests/SkiffAPITests/Protobuf")

/// The base64 string that follows `marker` in a fixture file, up to its closing `"""`.
func fixture(_ file: String, after marker: String) throws -> [UInt8] {
    let text = try String(contentsOf: fixtures.appendingPathComponent(file), encoding: .utf8)
    guard let start = text.range(of: marker)?.upperBound,
        let open = text.range(of: "\"\"\"", range: start..<text.endIndex)?.upperBound,
        let close = text.range(of: "\"\"\"", range: open..<text.endIndex)?.lowerBound,
        let data = Data(base64Encoded: String(text[open..<close]), options: .ignoreUnknownCharacters)
    else { throw CocoaError(.fileReadCorruptFile) }
    return Array(data)
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

let kubectlDeployment = try fixture("ProtobufFixtures+Kubectl.swift", after: #"name: "createDeployment""#)
let fullDeployment = try fixture("ProtobufFixtures+Built.swift", after: "static let deployment = ")

let start = seconds()
_ = try KubernetesProtobuf.decode(kubectlDeployment)
report("protobuf-first-decode-with-table-load", bytes: kubectlDeployment.count, microseconds: (seconds() - start) * 1e6)

for (name, body) in [("kubectl-create-deployment", kubectlDeployment), ("deployment-full", fullDeployment)] {
    report("protobuf-decode-\(name)", bytes: body.count,
           microseconds: try measure(20_000) { _ = try KubernetesProtobuf.decode(body) })
    let json = try KubernetesProtobuf.decode(body).serialized()
    report("json-parse-\(name)", bytes: json.count,
           microseconds: try measure(20_000) { _ = try JSONValue(parsing: json) })
}
