import Foundation
public import Logging
public import ServiceLifecycle
public import SkiffClient

/// The scheduler as `kube-scheduler --leader-elect` runs it: only while holding the
/// `kube-system/kube-scheduler` Lease, so a second instance is a hot standby. Each term starts a fresh
/// `Scheduler` (with fresh informers unless the process shares one factory), so nothing a deposed leader
/// knew is carried over.
public final class LeaderElectedScheduler: Service, Sendable {
    let client: RESTClient
    let schedulerName: String
    /// nil: schedule without campaigning (`--leader-elect=false`).
    let election: LeaderElectionConfig?
    let logger: Logger
    /// The process's informers, run by their owner; nil: each term's scheduler runs its own.
    let informers: SharedInformerFactory?

    public init(client: RESTClient, schedulerName: String = "default-scheduler",
                election: LeaderElectionConfig? = LeaderElectionConfig(name: "kube-scheduler", identity: LeaderElectedScheduler.defaultIdentity()),
                informers: SharedInformerFactory? = nil, logger: Logger) {
        self.client = client
        self.schedulerName = schedulerName
        self.election = election
        self.informers = informers
        self.logger = logger
    }

    /// `hostname_uuid`, as upstream's leader election identity.
    public static func defaultIdentity() -> String {
        "\(ProcessInfo.processInfo.hostName)_\(UUID().uuidString.lowercased())"
    }

    /// Schedules (while leading) until graceful shutdown or cancellation; a lost term campaigns again.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.campaign() }
    }

    private func campaign() async {
        guard let election else {
            do { try await Scheduler(client: client, schedulerName: schedulerName, informers: informers, logger: logger).run() } catch {
                if !Task.isCancelled { logger.error("scheduler stopped", metadata: ["error": "\(error)"]) }
            }
            return
        }
        let elector = LeaderElector(client: client, config: election, logger: logger)
        var delay: Duration = .milliseconds(200)
        // The scheduler returns on graceful shutdown: campaigning again then would spin.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await elector.runOnce {
                    try await Scheduler(client: self.client, schedulerName: self.schedulerName, informers: self.informers,
                                        logger: self.logger).run()
                }
                delay = .milliseconds(200)
            } catch {
                if Task.isCancelled { break }
                logger.debug("scheduler campaign ended; trying again", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
        // Hand over at once on shutdown; a cancelled task cannot send requests, so release from a new one.
        await Task { await elector.release() }.value
    }
}
