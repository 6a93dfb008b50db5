public import SkiffAPI
import SkiffClient

/// One endpoint of a Service port as the proxy sees it.
public struct ProxyEndpoint: Hashable, Sendable {
    public var ip: String
    public var port: Int32
    public var ready: Bool
    public var serving: Bool
    public var terminating: Bool
    public var nodeName: String?

    public init(ip: String, port: Int32, ready: Bool = true, serving: Bool = true, terminating: Bool = false,
                nodeName: String? = nil) {
        self.ip = ip
        self.port = port
        self.ready = ready
        self.serving = serving
        self.terminating = terminating
        self.nodeName = nodeName
    }
}

/// One port of one Service with what the proxy needs to program it (upstream's `ServicePortInfo` joined with
/// its endpoints): addresses it is reached at, its endpoints, and the policies that pick among them.
public struct ServicePortInfo: Hashable, Sendable {
    public var namespace: String
    public var name: String
    /// The Service port's name (empty for a single unnamed port).
    public var portName: String
    /// `tcp`, `udp` or `sctp`, as nftables spells them.
    public var proto: String
    public var clusterIPs: [String]
    public var port: Int32
    public var nodePort: Int32?
    /// `spec.externalIPs` and `status.loadBalancer.ingress[].ip`: reached like a NodePort, from outside.
    public var externalIPs: [String]
    /// ClientIP session affinity's timeout in seconds; nil without affinity.
    public var affinitySeconds: Int32?
    /// `externalTrafficPolicy: Local`: traffic from outside goes only to endpoints on this node.
    public var externalLocal: Bool
    /// `internalTrafficPolicy: Local`: traffic from inside goes only to endpoints on this node.
    public var internalLocal: Bool
    public var endpoints: [ProxyEndpoint]

    public init(namespace: String, name: String, portName: String = "", proto: String = "tcp", clusterIPs: [String],
                port: Int32, nodePort: Int32? = nil, externalIPs: [String] = [], affinitySeconds: Int32? = nil,
                externalLocal: Bool = false, internalLocal: Bool = false, endpoints: [ProxyEndpoint] = []) {
        self.namespace = namespace
        self.name = name
        self.portName = portName
        self.proto = proto
        self.clusterIPs = clusterIPs
        self.port = port
        self.nodePort = nodePort
        self.externalIPs = externalIPs
        self.affinitySeconds = affinitySeconds
        self.externalLocal = externalLocal
        self.internalLocal = internalLocal
        self.endpoints = endpoints
    }

    /// `namespace/name/proto/port-name`: the port's identity, in chain names and logs.
    public var id: String { "\(namespace)/\(name)/\(proto)/\(portName)" }

    /// The endpoints new connections may go to (upstream's `CategorizeEndpoints`): the ready ones, or, when
    /// none is ready, those still serving while they terminate, so a rolling update does not refuse
    /// connections. With `local`, only this node's.
    public func usableEndpoints(local node: String?) -> [ProxyEndpoint] {
        let candidates = node.map { node in endpoints.filter { $0.nodeName == node } } ?? endpoints
        let ready = candidates.filter(\.ready)
        if !ready.isEmpty { return ready }
        return candidates.filter { $0.serving && $0.terminating }
    }

    /// Every port of every Service the proxy programs: ClusterIP, NodePort and LoadBalancer Services with an
    /// IPv4 cluster IP; headless and ExternalName Services have nothing to program. Endpoints come from the
    /// slices labelled with the Service's name, matched by port name and protocol; an address listed twice
    /// (two slices during an update) counts once.
    public static func build(services: [core.v1.Service], slices: [discovery.v1.EndpointSlice]) -> [ServicePortInfo] {
        var slicesByService: [String: [discovery.v1.EndpointSlice]] = [:]
        for slice in slices where slice.addressType == "IPv4" {
            guard let service = slice.objectLabels["kubernetes.io/service-name"] else { continue }
            slicesByService["\(slice.objectNamespace)/\(service)", default: []].append(slice)
        }
        var result: [ServicePortInfo] = []
        for service in services {
            guard let spec = service.spec, spec.type != "ExternalName" else { continue }
            let clusterIPs = (spec.clusterIPs ?? [spec.clusterIP].compactMap { $0 })
                .filter { $0 != "None" && !$0.isEmpty && !$0.contains(":") }
            guard !clusterIPs.isEmpty else { continue }
            let ingress = (service.status?.loadBalancer?.ingress ?? []).compactMap(\.ip)
            let external = ((spec.externalIPs ?? []) + ingress).filter { !$0.contains(":") }
            let affinity = spec.sessionAffinity == "ClientIP"
                ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : nil
            let serviceSlices = slicesByService[service.objectKey] ?? []
            for port in spec.ports ?? [] {
                let proto = (port.protocol ?? "TCP").lowercased()
                var seen = Set<String>()
                var endpoints: [ProxyEndpoint] = []
                for slice in serviceSlices {
                    guard let slicePort = (slice.ports ?? []).first(where: {
                        ($0.name ?? "") == (port.name ?? "") && ($0.protocol ?? "TCP").lowercased() == proto
                    }), let number = slicePort.port else { continue }
                    for endpoint in slice.endpoints {
                        guard let ip = endpoint.addresses.first, seen.insert("\(ip):\(number)").inserted else { continue }
                        let conditions = endpoint.conditions
                        // A nil condition means "unknown": ready and serving as upstream reads them.
                        let ready = conditions?.ready ?? true
                        endpoints.append(ProxyEndpoint(ip: ip, port: number, ready: ready, serving: conditions?.serving ?? ready,
                                                       terminating: conditions?.terminating ?? false, nodeName: endpoint.nodeName))
                    }
                }
                let nodePort = (spec.type == "NodePort" || spec.type == "LoadBalancer") ? port.nodePort : nil
                result.append(ServicePortInfo(
                    namespace: service.objectNamespace, name: service.objectName, portName: port.name ?? "", proto: proto,
                    clusterIPs: clusterIPs, port: port.port, nodePort: nodePort.flatMap { $0 == 0 ? nil : $0 },
                    externalIPs: external, affinitySeconds: affinity,
                    externalLocal: spec.externalTrafficPolicy == "Local" && (nodePort != nil || !external.isEmpty),
                    internalLocal: spec.internalTrafficPolicy == "Local",
                    endpoints: endpoints.sorted { ($0.ip, $0.port) < ($1.ip, $1.port) }))
            }
        }
        return result.sorted { $0.id < $1.id }
    }
}
