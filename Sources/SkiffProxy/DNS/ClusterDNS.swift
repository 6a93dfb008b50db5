public import Logging
import Foundation
import SkiffAPI
public import SkiffClient
import ServiceLifecycle

/// The cluster DNS `skiff server` runs in its own process (CoreDNS with its `kubernetes` plugin, as
/// upstream clusters run it in pods): it keeps a snapshot of Services, EndpointSlices and namespaces from
/// the informers, answers on the node's address, and publishes itself as the `kube-system/kube-dns` Service
/// (ClusterIP 10.96.0.10 by default) whose endpoints are that address, so the proxy carries pods' queries
/// for the Service IP to it like any other Service's.
public final class ClusterDNS: Sendable {
    public struct Configuration: Sendable {
        /// The `kube-dns` Service's ClusterIP, which pods' resolv.conf names (kubelet's `--cluster-dns`).
        public var serviceIP: String
        public var clusterDomain: String
        /// The address the server listens on and publishes as the Service's endpoint (the node's InternalIP).
        public var listenAddress: String
        /// 53 unless a test or a busy port asks otherwise; the endpoint carries it.
        public var port: Int
        /// The node the endpoint is on.
        public var nodeName: String
        /// Where the resolvers for names outside the cluster are read from.
        public var resolvConf: String

        public init(serviceIP: String = "10.96.0.10", clusterDomain: String = SkiffProxy.defaultClusterDomain,
                    listenAddress: String, port: Int = 53, nodeName: String, resolvConf: String = "/etc/resolv.conf") {
            self.serviceIP = serviceIP
            self.clusterDomain = clusterDomain
            self.listenAddress = listenAddress
            self.port = port
            self.nodeName = nodeName
            self.resolvConf = resolvConf
        }
    }

    static let serviceName = "kube-dns"
    static let namespace = "kube-system"
    static let managedBy = "cluster-dns.skiff.dev"

    let client: RESTClient
    let informers: SharedInformerFactory
    let ownsInformers: Bool
    public let configuration: Configuration
    let holder = ClusterDNSRecordsHolder()
    let logger: Logger

    public init(client: RESTClient, informers: SharedInformerFactory? = nil, configuration: Configuration, logger: Logger) {
        self.client = client
        self.informers = informers ?? SharedInformerFactory(client: client, transform: InformerTransforms.stripManagedFields,
                                                             logger: logger)
        ownsInformers = informers == nil
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "component"] = "cluster-dns"
        self.logger = logger
    }

    /// Serves until cancelled; throws when the address cannot be bound.
    public func run() async throws {
        let resolver = ClusterDNSResolver(records: holder, clusterDomain: configuration.clusterDomain)
        let upstreams = DNSForwarder.upstreams(resolvConf: configuration.resolvConf)
        let server = DNSServer(configuration: .init(host: configuration.listenAddress, port: configuration.port),
                               resolver: resolver, forwarder: upstreams.isEmpty ? nil : DNSForwarder(upstreams: upstreams),
                               logger: logger)
        let port = try await server.start()
        logger.info("cluster DNS listening", metadata: ["address": "\(configuration.listenAddress):\(port)",
                                                        "serviceIP": "\(configuration.serviceIP)"])
        let services = informers.informer(core.v1.Service.self)
        let slices = informers.informer(discovery.v1.EndpointSlice.self)
        let namespaces = informers.informer(core.v1.Namespace.self)
        // Graceful shutdown stops it as cancellation does.
        await cancelWhenGracefulShutdown {
            await ChangeLoop.run([services, slices, namespaces], owned: self.ownsInformers ? self.informers : nil,
                                 alongside: { await self.publish(port: port) }) {
                self.rebuild(services: services.indexer.list(), slices: slices.indexer.list(),
                             namespaces: namespaces.indexer.list().map(\.objectName))
            }
        }
        await server.stop()
    }

    func rebuild(services: [core.v1.Service], slices: [discovery.v1.EndpointSlice], namespaces: [String]) {
        do {
            holder.replace(with: try ClusterDNSRecords(services: services, endpointSlices: slices, namespaces: namespaces,
                                                       clusterDomain: configuration.clusterDomain,
                                                       nameserverAddresses: [configuration.serviceIP]))
        } catch {
            logger.error("cannot build the DNS records", metadata: ["error": "\(error)"])
        }
    }

    /// Writes the `kube-dns` Service and its endpoints until that succeeds (the API server may still be
    /// starting, or kube-system not yet made).
    func publish(port: Int) async {
        var delay = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                try await KubeDNSObjects(configuration: configuration, port: port, client: client).ensure()
                return
            } catch {
                logger.info("publishing the kube-dns Service failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        }
    }
}

/// The `kube-system/kube-dns` Service (no selector: its endpoints are the DNS servers themselves, which are
/// not pods), its EndpointSlice and its Endpoints, written as they should be.
struct KubeDNSObjects {
    let configuration: ClusterDNS.Configuration
    let port: Int
    let client: RESTClient

    static let labels = ["k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"]

    var service: core.v1.Service {
        core.v1.Service(
            apiVersion: "v1", kind: "Service",
            metadata: meta.v1.ObjectMeta(labels: Self.labels, name: ClusterDNS.serviceName, namespace: ClusterDNS.namespace),
            spec: core.v1.ServiceSpec(clusterIP: configuration.serviceIP, clusterIPs: [configuration.serviceIP], ports: [
                core.v1.ServicePort(name: "dns", port: 53, protocol: "UDP", targetPort: .int(Int32(port))),
                core.v1.ServicePort(name: "dns-tcp", port: 53, protocol: "TCP", targetPort: .int(Int32(port))),
            ]))
    }

    var slice: discovery.v1.EndpointSlice {
        discovery.v1.EndpointSlice(
            addressType: "IPv4", apiVersion: "discovery.k8s.io/v1",
            endpoints: [discovery.v1.Endpoint(addresses: [configuration.listenAddress],
                                              conditions: .init(ready: true, serving: true, terminating: false),
                                              nodeName: configuration.nodeName)],
            kind: "EndpointSlice",
            metadata: meta.v1.ObjectMeta(labels: Self.labels.merging([
                "kubernetes.io/service-name": ClusterDNS.serviceName,
                "endpointslice.kubernetes.io/managed-by": ClusterDNS.managedBy,
            ]) { $1 }, name: "\(ClusterDNS.serviceName)-\(configuration.nodeName)", namespace: ClusterDNS.namespace),
            ports: [discovery.v1.EndpointPort(name: "dns", port: Int32(port), protocol: "UDP"),
                    discovery.v1.EndpointPort(name: "dns-tcp", port: Int32(port), protocol: "TCP")])
    }

    var endpoints: core.v1.Endpoints {
        core.v1.Endpoints(
            apiVersion: "v1", kind: "Endpoints",
            metadata: meta.v1.ObjectMeta(labels: Self.labels, name: ClusterDNS.serviceName, namespace: ClusterDNS.namespace),
            subsets: [core.v1.EndpointSubset(addresses: [core.v1.EndpointAddress(ip: configuration.listenAddress,
                                                                                 nodeName: configuration.nodeName)],
                                             ports: [core.v1.EndpointPort(name: "dns", port: Int32(port), protocol: "UDP"),
                                                     core.v1.EndpointPort(name: "dns-tcp", port: Int32(port), protocol: "TCP")])])
    }

    func ensure() async throws {
        let services = client.api(core.v1.Service.self, namespace: ClusterDNS.namespace)
        do {
            let existing = try await services.get(ClusterDNS.serviceName)
            if existing.spec?.clusterIP != configuration.serviceIP {
                throw ClusterDNSError(message: "kube-system/kube-dns has ClusterIP \(existing.spec?.clusterIP ?? "none"), not the "
                                      + "cluster DNS address \(configuration.serviceIP); delete it to let it be made again")
            }
        } catch let error as APIError where error.isNotFound {
            _ = try await services.create(service)
        }
        try await upsert(slice, api: client.api(discovery.v1.EndpointSlice.self, namespace: ClusterDNS.namespace)) {
            $0.endpoints == $1.endpoints && $0.ports == $1.ports
        }
        try await upsert(endpoints, api: client.api(core.v1.Endpoints.self, namespace: ClusterDNS.namespace)) {
            $0.subsets == $1.subsets
        }
    }

    func upsert<Object: KubernetesResource>(_ wanted: Object, api: Api<Object>, same: (Object, Object) -> Bool) async throws {
        do {
            var current = try await api.get(wanted.metadata?.name ?? "")
            guard !same(current, wanted) else { return }
            let version = current.metadata?.resourceVersion
            current = wanted
            current.metadata?.resourceVersion = version
            _ = try await api.update(current)
        } catch let error as APIError where error.isNotFound {
            _ = try await api.create(wanted)
        }
    }
}

/// The cluster DNS cannot publish itself as configured.
public struct ClusterDNSError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
