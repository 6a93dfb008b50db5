import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffScheduler

/// `skiff scheduler`: the scheduler alone, against any API server (kube-scheduler).
struct SchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Run the scheduler alone: place unscheduled pods on nodes.",
        discussion: """
            Connects with --kubeconfig (else $KUBECONFIG, else DATA_DIR/kubeconfig.yaml when it exists, else \
            ~/.kube/config). It places the pods whose spec.schedulerName is --scheduler-name. With \
            --leader-elect=true (the default) it schedules only while it holds the kube-system/kube-scheduler \
            Lease, so it is a hot standby beside `skiff server`'s own scheduler; give a second scheduler its \
            own name and lease (--scheduler-name my-scheduler --leader-elect-resource-name my-scheduler) to \
            run it beside the default one.
            """)

    @OptionGroup var common: CommonOptions

    @OptionGroup var client: ClientOptions

    @OptionGroup var election: LeaderElectionOptions

    @Option(help: "Schedule the pods whose spec.schedulerName is this.")
    var schedulerName: String = "default-scheduler"

    func validate() throws {
        guard !schedulerName.isEmpty else { throw ValidationError("--scheduler-name must not be empty") }
    }

    func run() async throws {
        let level = try common.validateLogLevel()
        Observability.bootstrap(level: level)
        let logger = Logger(label: "skiff.scheduler")
        let restClient = try RESTClient(config: client.clientConfig(dataDirectory: common.dataDirectory, userAgent: "skiff-scheduler"))
        let timing = try election.timing()
        let leaseConfig = election.leaderElect
            ? LeaderElectionConfig(namespace: election.leaseNamespace, name: election.leaseName ?? "kube-scheduler",
                                   identity: LeaderElectedScheduler.defaultIdentity(), leaseDuration: timing.lease,
                                   renewDeadline: timing.renew, retryPeriod: timing.retry)
            : nil
        let scheduler = LeaderElectedScheduler(client: restClient, schedulerName: schedulerName, election: leaseConfig, logger: logger)
        logger.info("starting", metadata: ["server": "\(restClient.config.server)", "schedulerName": "\(schedulerName)",
                                           "leaderElect": "\(election.leaderElect)"])
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: scheduler)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try? await restClient.shutdown()
    }
}
