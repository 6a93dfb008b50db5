import Logging
import SkiffAPI
import SkiffClient

/// The built-in service load balancer (k3s's ServiceLB, without its DaemonSet): a `LoadBalancer` Service
/// with no `loadBalancerClass` gets the InternalIPs of the Ready nodes as its ingress, so `kubectl get svc`
/// shows an EXTERNAL-IP and the proxy on every node answers on it. A Service that stops being a
/// LoadBalancer loses the ingress it was given. (Upstream leaves this to a cloud provider's controller.)
public struct ServiceLoadBalancerController: Controller {
    public var name: String { "service-lb-controller" }

    public init() {}

    public func run(context: ControllerContext) async throws {
        let services = context.informers.informer(core.v1.Service.self)
        let nodes = context.informers.informer(core.v1.Node.self)
        let queue = context.queue(name: "service_lb", backoff: ExponentialBackoff(base: .milliseconds(5), maximum: .seconds(60)))
        let reconciler = ReconcileFunction { key in
            guard let service = services.indexer.get(key: key) else { return .done }
            let wanted = Self.ingress(for: service, nodes: nodes.indexer.list())
            let current = service.status?.loadBalancer?.ingress ?? []
            guard wanted != current else { return .done }
            let ingress: JSONValue = .array(wanted.map(\.json))
            _ = try await context.client.services(service.objectNamespace).patch(
                service.objectName, .merge(["status": ["loadBalancer": ["ingress": ingress]]]), subresource: "status")
            return .done
        }
        let enqueueLoadBalancers: @Sendable () async -> Void = {
            for service in services.indexer.list() where service.spec?.type == "LoadBalancer" { await queue.add(service.objectKey) }
        }
        await ReconcileRunner(
            name: name, reconciler: reconciler, queue: queue,
            caches: [{ await services.waitForSync() }, { await nodes.waitForSync() }],
            sources: [
                { for await event in services.events() { await queue.add(event.object.objectKey) } },
                { for await event in nodes.events() {
                    if case .updated(let old, let new) = event, Self.address(of: old) == Self.address(of: new) { continue }
                    await enqueueLoadBalancers()
                } },
            ],
            logger: context.logger).run()
    }

    /// The ingress a Service should have: the Ready nodes' InternalIPs for a LoadBalancer of ours, else none
    /// (ingress written by another load balancer implementation is its business).
    static func ingress(for service: core.v1.Service, nodes: [core.v1.Node]) -> [core.v1.LoadBalancerIngress] {
        guard service.spec?.type == "LoadBalancer" else { return [] }
        if let loadBalancerClass = service.spec?.loadBalancerClass, !loadBalancerClass.isEmpty {
            return service.status?.loadBalancer?.ingress ?? []
        }
        let addresses = Set(nodes.compactMap(address(of:)))
        return addresses.sorted().map { core.v1.LoadBalancerIngress(ip: $0, ipMode: "VIP") }
    }

    /// A Ready node's InternalIP.
    static func address(of node: core.v1.Node) -> String? {
        guard node.status?.conditions?.first(where: { $0.type == "Ready" })?.status == "True" else { return nil }
        return node.status?.addresses?.first { $0.type == "InternalIP" }?.address
    }
}
