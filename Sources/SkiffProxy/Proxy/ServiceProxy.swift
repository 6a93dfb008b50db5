public import Logging
public import ServiceLifecycle
import Foundation
import Metrics
import SkiffAPI
public import SkiffClient
import SkiffHost
import Synchronization

/// `skiff proxy` (upstream's kube-proxy in nftables mode): watches Services and EndpointSlices and keeps the
/// kernel's table in step. The first thing it does is install the table's fixed part, so traffic to the
/// Service range is rejected here before any Service has rules and never leaves through the uplink. Each
/// change is applied as the difference from the last ruleset, in one `nft` transaction; changes arriving
/// meanwhile are coalesced into the next, and every `fullSyncPeriod` the whole table is rewritten. Rules stay when the proxy stops (connections keep flowing across a
/// restart, which re-syncs the whole table); `cleanup` removes them.
public final class ServiceProxy: Service, Sendable {
    let informers: SharedInformerFactory
    let ownsInformers: Bool
    public let network: ProxyNetwork
    /// How often the whole table is rewritten even without changes (kube-proxy's `--sync-period`): rules
    /// someone else removed or flushed come back.
    public let fullSyncPeriod: Duration
    let nftables: NFTables
    let logger: Logger
    let state = Mutex<(synced: Bool, full: Bool)>((false, false))
    let programmer: Mutex<ProxyProgrammer>
    let syncDuration = Timer(label: "kubeproxy_sync_proxy_rules_duration_seconds")
    let lastSync = Gauge(label: "kubeproxy_sync_proxy_rules_last_timestamp_seconds")
    let failures = Counter(label: "kubeproxy_sync_proxy_rules_nftables_total", dimensions: [("result", "error")])

    /// A proxy on `informers` (the process's shared factory, or its own from `client` when nil).
    public init(client: RESTClient, informers: SharedInformerFactory? = nil, network: ProxyNetwork, nftables: NFTables,
                fullSyncPeriod: Duration = .seconds(30), logger: Logger) {
        self.fullSyncPeriod = fullSyncPeriod
        self.informers = informers ?? SharedInformerFactory(client: client, transform: InformerTransforms.stripManagedFields,
                                                             logger: logger)
        ownsInformers = informers == nil
        self.network = network
        self.nftables = nftables
        programmer = Mutex(ProxyProgrammer(network: network, nftables: nftables))
        var logger = logger
        logger[metadataKey: "component"] = "proxy"
        self.logger = logger
    }

    /// Whether the kernel has the rules of every Service the caches held at the last sync.
    public var isSynced: Bool { state.withLock { $0.synced } }

    /// Runs until cancelled.
    public func run() async throws {
        try await installSkeleton()
        Self.enableForwarding(logger: logger)
        let services = informers.informer(core.v1.Service.self)
        let slices = informers.informer(discovery.v1.EndpointSlice.self)
        // Stops on graceful shutdown as on cancellation; the rules stay in the kernel either way.
        await cancelWhenGracefulShutdown {
            await ChangeLoop.run([services, slices], owned: self.ownsInformers ? self.informers : nil, period: self.fullSyncPeriod,
                                 onPeriod: { self.state.withLock { $0.full = true } }) {
                await self.sync(services: services.indexer.list(), slices: slices.indexer.list())
            }
        }
    }

    /// Puts the fixed chains in place with no Service rules: everything in the Service range is refused.
    func installSkeleton() async throws {
        let route = ServiceRoute(device: network.serviceDevice, cidr: network.serviceCIDR)
        try await OwnThread.run("skiff-ip") { try route.install() }
        var programmer = self.programmer.withLock { $0 }
        try await programmer.apply([], full: true)
        self.programmer.withLock { $0 = programmer }
        logger.info("nftables table installed", metadata: ["table": "\(network.table)", "serviceCIDR": "\(network.serviceCIDR)"])
    }

    /// Programs the kernel for these objects; a failed difference is retried as the whole table.
    func sync(services: [core.v1.Service], slices: [discovery.v1.EndpointSlice]) async {
        let started = DispatchTime.now()
        let ports = ServicePortInfo.build(services: services, slices: slices)
        do {
            let full = state.withLock { state -> Bool in
                defer { state.full = false }
                return state.full
            }
            // Only this loop programs: the copy taken out is the one put back.
            var programmer = self.programmer.withLock { $0 }
            defer { self.programmer.withLock { $0 = programmer } }
            try await programmer.apply(ports, full: full)
            state.withLock { $0.synced = true }
            syncDuration.recordInterval(since: started)
            lastSync.record(Date().timeIntervalSince1970)
        } catch {
            failures.increment()
            state.withLock { $0.synced = false }
            logger.error("programming nftables failed; the next sync rewrites the table", metadata: ["error": "\(error)"])
        }
    }

    /// Pods' traffic to Services is routed through this host, and replies between pods on one bridge must
    /// pass its connection tracking to be un-NATed (upstream asks for the same two settings).
    static func enableForwarding(logger: Logger) {
        for (path, what) in [("/proc/sys/net/ipv4/ip_forward", "IP forwarding"),
                             ("/proc/sys/net/bridge/bridge-nf-call-iptables", "bridge netfilter (br_netfilter)")] {
            guard let current = try? String(contentsOfFile: path, encoding: .utf8) else {
                logger.warning("cannot read \(path): \(what) may be off, and Service traffic between pods of one node may fail")
                continue
            }
            if current.trimmingCharacters(in: .whitespacesAndNewlines) != "1" {
                do { try Data("1".utf8).write(to: URL(fileURLWithPath: path)) } catch {
                    logger.warning("cannot turn on \(what) at \(path): \(error)")
                }
            }
        }
    }

    /// Removes the proxy's table and its route for the Service range (`skiff proxy --cleanup`).
    public static func cleanup(_ network: ProxyNetwork = ProxyNetwork(), nftables: NFTables) throws {
        try nftables.deleteTable(network.table)
        try ServiceRoute(device: network.serviceDevice, cidr: network.serviceCIDR).remove()
    }
}
