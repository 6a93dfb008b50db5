import Logging
import SkiffAPI
import SkiffClient

/// The service account controller (upstream's `pkg/controller/serviceaccount`): every active namespace
/// has a `default` ServiceAccount, made again when it is deleted. Terminating namespaces are left alone.
public struct ServiceAccountsController: Controller {
    public var name: String { "serviceaccount-controller" }
    /// The accounts every namespace gets (upstream: just `default`).
    public var serviceAccounts: [String]
    /// Namespaces synced at once (upstream's `--concurrent-serviceaccount-syncs`).
    public var workers: Int
    /// How often every namespace is checked again regardless of events.
    public var resyncPeriod: Duration

    public init(serviceAccounts: [String] = ["default"], workers: Int = 5, resyncPeriod: Duration = .seconds(300)) {
        self.serviceAccounts = serviceAccounts
        self.workers = max(1, workers)
        self.resyncPeriod = resyncPeriod
    }

    public func run(context: ControllerContext) async throws {
        let loop = NamespaceObjectLoop<core.v1.ServiceAccount>(names: Set(serviceAccounts), workers: workers, resyncPeriod: resyncPeriod)
        let wanted = serviceAccounts
        let client = context.client
        let logger = context.logger
        await loop.run(name: name, context: context) { namespace, accounts in
            var failures: [any Error] = []
            for name in wanted where accounts.indexer.get(namespace: namespace, name: name) == nil {
                do {
                    _ = try await client.api(core.v1.ServiceAccount.self, namespace: namespace)
                        .create(core.v1.ServiceAccount(metadata: meta.v1.ObjectMeta(name: name)))
                    logger.debug("created service account", metadata: ["namespace": "\(namespace)", "name": "\(name)"])
                } catch let error as APIError where error.isAlreadyExists {
                    continue
                } catch {
                    if !namespaceIsGoing(error) { failures.append(error) }
                }
            }
            if let first = failures.first { throw first }
        }
    }
}
