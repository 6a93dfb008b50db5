import ArgumentParser
import Foundation
import SkiffClient

/// How a component that runs apart from the server finds it: `--kubeconfig`, else `$KUBECONFIG`, else
/// `DATA_DIR/kubeconfig.yaml` when a local server wrote one, else `~/.kube/config`.
struct ClientOptions: ParsableArguments {
    @Option(help: "Path to a kubeconfig file.")
    var kubeconfig: String?

    /// The kubeconfig to load (nil: the client's own search, `$KUBECONFIG` then `~/.kube/config`).
    func kubeconfigPath(dataDirectory: URL) -> String? {
        if let kubeconfig { return kubeconfig }
        if ProcessInfo.processInfo.environment["KUBECONFIG"] != nil { return nil }
        let local = dataDirectory.appendingPathComponent("kubeconfig.yaml").path
        return FileManager.default.fileExists(atPath: local) ? local : nil
    }

    func clientConfig(dataDirectory: URL, userAgent: String) throws -> ClientConfig {
        var config = try ClientConfig.fromKubeconfig(path: kubeconfigPath(dataDirectory: dataDirectory))
        config.userAgent = userAgent
        return config
    }
}

/// kube-controller-manager's and kube-scheduler's `--leader-elect*` flags.
struct LeaderElectionOptions: ParsableArguments {
    @Option(name: .customLong("leader-elect"), help: "Run only while holding the leader lease (a second instance is a hot standby).")
    var leaderElect: Bool = true

    @Option(name: .customLong("leader-elect-lease-duration"), help: "How long a lease lasts without renewal.")
    var leaseDuration: String = "15s"

    @Option(name: .customLong("leader-elect-renew-deadline"), help: "How long the leader tries to renew before giving up.")
    var renewDeadline: String = "10s"

    @Option(name: .customLong("leader-elect-retry-period"), help: "How often candidates try to acquire or renew.")
    var retryPeriod: String = "2s"

    @Option(name: .customLong("leader-elect-resource-namespace"), help: "The namespace of the lease.")
    var leaseNamespace: String = "kube-system"

    @Option(name: .customLong("leader-elect-resource-name"), help: "The name of the lease (default: the component's).")
    var leaseName: String?

    struct Timing {
        var lease: Duration
        var renew: Duration
        var retry: Duration
    }

    /// The three durations, checked as upstream checks them (lease > renew deadline > retry period).
    func timing() throws -> Timing {
        let lease = try GoDuration.parse(leaseDuration, option: "--leader-elect-lease-duration")
        let renew = try GoDuration.parse(renewDeadline, option: "--leader-elect-renew-deadline")
        let retry = try GoDuration.parse(retryPeriod, option: "--leader-elect-retry-period")
        guard lease > renew else { throw ValidationError("--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline") }
        guard renew > retry, retry > .zero else {
            throw ValidationError("--leader-elect-renew-deadline must be greater than --leader-elect-retry-period, and that positive")
        }
        return Timing(lease: lease, renew: renew, retry: retry)
    }

    func validate() throws { _ = try timing() }
}
