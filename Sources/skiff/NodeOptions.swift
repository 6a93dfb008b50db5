import ArgumentParser
import Foundation

/// Options for the nodes `skiff server` runs in its own process.
struct NodeOptions: ParsableArguments {
    @Option(help: "The local node's container runtime: process (host processes, no isolation), simulated or none.")
    var runtime: String = "none"

    @Option(help: "How many simulated nodes to run in this process besides the local node.")
    var simulatedNodes: Int = 0

    @Option(help: "The local node's name (default: the host name).")
    var nodeName: String?

    @Option(help: "How long a node may stay silent before it is marked unhealthy (Go duration, e.g. 40s).")
    var nodeMonitorGracePeriod: String = "40s"

    @Option(help: "The port of the local node's kubelet API (logs, exec, attach, port-forward) with --runtime process.")
    var kubeletPort: Int = 10250

    var gracePeriod: Duration {
        (try? GoDuration.parse(nodeMonitorGracePeriod, option: "--node-monitor-grace-period")) ?? .seconds(40)
    }

    func validate() throws {
        switch runtime {
        case "none", "simulated", "process": break
        case "runc":
            throw ValidationError("--runtime runc is not available in this build yet; use --runtime process, simulated or none")
        default:
            throw ValidationError("--runtime must be one of runc, process, simulated, none (got \"\(runtime)\")")
        }
        guard try GoDuration.parse(nodeMonitorGracePeriod, option: "--node-monitor-grace-period") > .zero else {
            throw ValidationError("--node-monitor-grace-period must be positive (got \"\(nodeMonitorGracePeriod)\")")
        }
        guard (0...65535).contains(kubeletPort) else {
            throw ValidationError("--kubelet-port must be between 0 and 65535 (got \(kubeletPort))")
        }
        guard simulatedNodes >= 0, simulatedNodes <= 100_000 else {
            throw ValidationError("--simulated-nodes must be between 0 and 100000 (got \(simulatedNodes))")
        }
    }

    var localNodeName: String { Self.nodeName(nodeName) }

    /// `--node-name`, else the host name's first label in lower case, as the kubelet defaults it.
    static func nodeName(_ explicit: String?) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        return ProcessInfo.processInfo.hostName.lowercased().split(separator: ".").first.map(String.init) ?? "skiff-node"
    }
}
