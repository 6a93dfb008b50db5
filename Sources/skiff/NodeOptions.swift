import ArgumentParser
import Foundation
import Logging
import SkiffClient
import SkiffKubelet

/// Options for the nodes `skiff server` runs in its own process.
struct NodeOptions: ParsableArguments {
    @Option(help: """
        The local node's container runtime: runc (containers), process (host processes, no isolation), simulated \
        or none (default: runc when running as root with runc installed, else process).
        """)
    var runtime: String?

    @Option(help: "The program that runs containers with --runtime runc: runc or crun (default: crun when installed, else runc).")
    var ociRuntime: String?

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
        try Self.checkRuntime(runtime, allowed: ["runc", "process", "simulated", "none"])
        _ = try Self.oci(ociRuntime)
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

    /// `--runtime`, or the default for this machine.
    var resolvedRuntime: String { runtime ?? Self.defaultRuntime }

    /// `runc` where the process is root and runc or crun is installed, `process` otherwise (DESIGN.md).
    static var defaultRuntime: String { RuncRuntime.unavailableReason() == nil ? "runc" : "process" }

    /// `--oci-runtime`, or crun when it is installed and can run here, else runc; an unknown program, or one
    /// that cannot run here, is refused with the reason.
    static func oci(_ explicit: String?) throws -> OCIRuntime {
        guard let explicit else { return .preferred }
        guard let oci = OCIRuntime(rawValue: explicit) else {
            throw ValidationError("--oci-runtime must be runc or crun (got \"\(explicit)\")")
        }
        if let reason = oci.unavailableReason { throw ValidationError("--oci-runtime \(explicit) cannot run here: \(reason)") }
        return oci
    }

    /// How the runtime was chosen, for the start-up log.
    static func runtimeOrigin(_ explicit: String?) -> String {
        if explicit != nil { return "--runtime" }
        return RuncRuntime.unavailableReason().map { "default: \($0)" } ?? "default: root with \(OCIRuntime.preferred.rawValue) installed"
    }

    static func checkRuntime(_ runtime: String?, allowed: [String]) throws {
        guard let runtime else { return }
        guard allowed.contains(runtime) else {
            throw ValidationError("--runtime must be one of \(allowed.joined(separator: ", ")) (got \"\(runtime)\")")
        }
        if runtime == "runc", let reason = RuncRuntime.unavailableReason() {
            throw ValidationError("--runtime runc cannot run here: \(reason); use --runtime process")
        }
    }

    /// The kubelet of a real local node on `runtime` (`runc`, with the `oci` program, or `process`).
    static func kubelet(runtime: String, oci: OCIRuntime = .preferred, client: RESTClient,
                        configuration: Kubelet.Configuration) throws -> Kubelet {
        let containers: any ContainerRuntime = runtime == "runc"
            ? try RuncRuntime(dataDirectory: configuration.dataDirectory, podCIDR: configuration.podCIDR, oci: oci)
            : ProcessRuntime(dataDirectory: configuration.dataDirectory)
        return Kubelet(client: client, configuration: configuration, runtime: containers, logger: Logger(label: "skiff.kubelet"))
    }

    /// `--node-name`, else the host name's first label in lower case, as the kubelet defaults it.
    static func nodeName(_ explicit: String?) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        return ProcessInfo.processInfo.hostName.lowercased().split(separator: ".").first.map(String.init) ?? "skiff-node"
    }
}
