public import Logging
import Foundation
public import ServiceLifecycle
import SkiffAPI
public import SkiffClient
import SkiffHost

/// Pod networking across nodes as flannel's `host-gw` backend does it: a route to every other node's pod
/// range (`spec.podCIDR`) through that node's InternalIP, kept as nodes join, move and leave. Needs the
/// nodes on one network (each reachable without a gateway); a node behind a router is logged, not routed.
/// The routes carry a protocol number of their own, so the ones Skiff made are told from everyone else's.
public final class NodeRoutes: Service, Sendable {
    /// The `proto` of Skiff's routes (`ip route show proto 189`).
    public static let routeProtocol = "189"

    let informers: SharedInformerFactory
    let ownsInformers: Bool
    let nodeName: String
    /// `ip`, or `ip -n NAMESPACE` in tests.
    let ip: [String]
    let logger: Logger

    public init(client: RESTClient, informers: SharedInformerFactory? = nil, nodeName: String,
                ip: [String] = [ServiceRoute.ipProgram], logger: Logger) {
        self.informers = informers ?? SharedInformerFactory(client: client, logger: logger)
        ownsInformers = informers == nil
        self.nodeName = nodeName
        self.ip = ip
        var logger = logger
        logger[metadataKey: "component"] = "node-routes"
        self.logger = logger
    }

    public func run() async throws {
        let nodes = informers.informer(core.v1.Node.self)
        await cancelWhenGracefulShutdown {
            await ChangeLoop.run([nodes], owned: self.ownsInformers ? self.informers : nil) {
                await self.reconcileOnThread(nodes.indexer.list())
            }
        }
    }

    /// One route per other node: `podCIDR via InternalIP`.
    struct Route: Hashable {
        var cidr: String
        var via: String
    }

    /// The routes `nodes` ask for, seen from `self`.
    static func desired(_ nodes: [core.v1.Node], self name: String) -> Set<Route> {
        var routes = Set<Route>()
        for node in nodes where node.metadata?.name != name {
            guard let cidr = node.spec?.podCIDR, !cidr.isEmpty, !cidr.contains(":"),
                  let address = node.status?.addresses?.first(where: { $0.type == "InternalIP" })?.address,
                  !address.contains(":") else { continue }
            routes.insert(Route(cidr: cidr, via: address))
        }
        return routes
    }

    /// Skiff's routes as `ip route show proto 189` prints them.
    static func parse(_ text: String) -> Set<Route> {
        Set(text.split(separator: "\n").compactMap { line -> Route? in
            let words = line.split(separator: " ").map(String.init)
            guard let cidr = words.first, let via = words.firstIndex(of: "via").flatMap({ words.indices.contains($0 + 1) ? words[$0 + 1] : nil })
            else { return nil }
            return Route(cidr: cidr.contains("/") ? cidr : cidr + "/32", via: via)
        })
    }

    /// `reconcile` on a thread of its own: it runs `ip` several times.
    func reconcileOnThread(_ nodes: [core.v1.Node]) async {
        _ = try? await OwnThread.run("skiff-ip") { self.reconcile(nodes) }
    }

    /// Brings the routing table in line with `nodes`. Blocks while `ip` runs.
    func reconcile(_ nodes: [core.v1.Node]) {
        let wanted = Self.desired(nodes, self: nodeName)
        let current = Self.parse(run(["route", "show", "proto", Self.routeProtocol]) ?? "")
        for route in current where !wanted.contains(route) {
            _ = run(["route", "del", route.cidr, "via", route.via, "proto", Self.routeProtocol])
            logger.info("removed the route to a node's pods", metadata: ["cidr": "\(route.cidr)", "via": "\(route.via)"])
        }
        for route in wanted where !current.contains(route) {
            // host-gw needs the node on a network of ours: a route to it through a gateway would loop.
            if let path = run(["route", "get", route.via]), path.contains(" via ") {
                logger.warning("a node is not on this node's network; its pods are unreachable from here",
                               metadata: ["cidr": "\(route.cidr)", "node address": "\(route.via)"])
                continue
            }
            if run(["route", "replace", route.cidr, "via", route.via, "proto", Self.routeProtocol]) != nil {
                logger.info("routing a node's pods", metadata: ["cidr": "\(route.cidr)", "via": "\(route.via)"])
            }
        }
    }

    /// Runs `ip` with `arguments`; its output, or nil (logged) when it failed.
    func run(_ arguments: [String]) -> String? {
        guard let program = ip.first else { return nil }
        do {
            let result = try HostCommand.run(program, Array(ip.dropFirst()) + arguments)
            guard result.succeeded else {
                logger.warning("ip failed", metadata: ["arguments": "\(arguments.joined(separator: " "))", "error": "\(result.message)"])
                return nil
            }
            return String(decoding: result.stdout, as: UTF8.self)
        } catch {
            logger.warning("cannot run ip", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
