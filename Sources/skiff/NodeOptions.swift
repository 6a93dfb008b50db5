import ArgumentParser
import Foundation

/// Options for the nodes `skiff server` runs in its own process.
struct NodeOptions: ParsableArguments {
    @Option(help: "The local node's container runtime: none or simulated (runc and process come with the kubelet).")
    var runtime: String = "none"

    @Option(help: "How many simulated nodes to run in this process besides the local node.")
    var simulatedNodes: Int = 0

    @Option(help: "The local node's name (default: the host name).")
    var nodeName: String?

    func validate() throws {
        switch runtime {
        case "none", "simulated": break
        case "runc", "process":
            throw ValidationError("--runtime \(runtime) is not available in this build yet; use --runtime none or simulated")
        default:
            throw ValidationError("--runtime must be one of runc, process, simulated, none (got \"\(runtime)\")")
        }
        guard simulatedNodes >= 0, simulatedNodes <= 100_000 else {
            throw ValidationError("--simulated-nodes must be between 0 and 100000 (got \(simulatedNodes))")
        }
    }

    var localNodeName: String {
        if let nodeName, !nodeName.isEmpty { return nodeName }
        return ProcessInfo.processInfo.hostName.lowercased().split(separator: ".").first.map(String.init) ?? "skiff-node"
    }
}
