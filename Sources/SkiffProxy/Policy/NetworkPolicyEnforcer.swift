public import Logging
import Foundation
public import ServiceLifecycle
import SkiffAPI
public import SkiffClient
import Synchronization

/// Enforces NetworkPolicies for the pods of one node in the `ip skiff-policy` table (`PolicyRuleset`),
/// rewritten whole, in one transaction, whenever policies, pods or namespaces change what it should hold.
public final class NetworkPolicyEnforcer: Service, Sendable {
    let informers: SharedInformerFactory
    let ownsInformers: Bool
    let nodeName: String?
    public let table: String
    let nftables: NFTables
    let logger: Logger
    let applied = Mutex<PolicyRuleset?>(nil)

    /// An enforcer for the pods on `nodeName` (all pods when nil).
    public init(client: RESTClient, informers: SharedInformerFactory? = nil, nodeName: String?, table: String = "skiff-policy",
                nftables: NFTables, logger: Logger) {
        self.informers = informers ?? SharedInformerFactory(client: client, transform: InformerTransforms.stripManagedFields,
                                                             logger: logger)
        ownsInformers = informers == nil
        self.nodeName = nodeName
        self.table = table
        self.nftables = nftables
        var logger = logger
        logger[metadataKey: "component"] = "network-policy"
        self.logger = logger
    }

    public func run() async throws {
        let policies = informers.informer(networking.v1.NetworkPolicy.self)
        let pods = informers.informer(core.v1.Pod.self)
        let namespaces = informers.informer(core.v1.Namespace.self)
        await cancelWhenGracefulShutdown {
            await ChangeLoop.run([policies, pods, namespaces], owned: self.ownsInformers ? self.informers : nil) {
                await self.sync(PolicyRuleset(policies: policies.indexer.list(), pods: pods.indexer.list(),
                                              namespaces: namespaces.indexer.list(), node: self.nodeName))
            }
        }
    }

    /// Writes `ruleset` unless it is what the kernel already has.
    func sync(_ ruleset: PolicyRuleset) async {
        guard applied.withLock({ $0 }) != ruleset else { return }
        do {
            try await nftables.commit(ruleset.script(table: table))
            applied.withLock { $0 = ruleset }
            logger.debug("network policy rules written", metadata: ["pods": "\(Set(ruleset.ingress.keys).union(ruleset.egress.keys).count)"])
        } catch {
            applied.withLock { $0 = nil }
            logger.error("writing network policy rules failed", metadata: ["error": "\(error)"])
        }
    }

    /// Removes the table (`skiff proxy --cleanup`).
    public static func cleanup(table: String = "skiff-policy", nftables: NFTables) throws {
        try nftables.deleteTable(table)
    }
}
