import SkiffAPI
import SkiffClient

/// What a Service's pods contribute to its endpoints, shared by the EndpointSlice and Endpoints controllers
/// (upstream's `pkg/controller/util/endpoint` and `endpointslice/util`): which pods count, which address of
/// each, and which port number each Service port reaches on it.
enum ServiceEndpoints {
    /// The label naming the Service a slice belongs to.
    static let serviceNameLabel = "kubernetes.io/service-name"
    /// The label naming who manages a slice; the EndpointSlice controller touches only its own.
    static let managedByLabel = "endpointslice.kubernetes.io/managed-by"
    static let controllerName = "endpointslice-controller.k8s.io"
    /// Set (empty) on the slices and Endpoints of a headless Service.
    static let headlessLabel = "service.kubernetes.io/headless"

    /// Whether the controllers make endpoints for `service` at all: not for one without a selector (its
    /// endpoints are written by someone else) nor for an ExternalName.
    static func isManaged(_ service: core.v1.Service) -> Bool {
        guard let selector = service.spec?.selector, !selector.isEmpty else { return false }
        return service.spec?.type != "ExternalName"
    }

    static func isHeadless(_ service: core.v1.Service) -> Bool { service.spec?.clusterIP == "None" }

    /// Whether the Service selects `pod` (same namespace, every selector label matches).
    static func selects(_ service: core.v1.Service, _ pod: core.v1.Pod) -> Bool {
        guard pod.objectNamespace == service.objectNamespace, let selector = service.spec?.selector, !selector.isEmpty
        else { return false }
        let labels = pod.objectLabels
        return selector.allSatisfy { labels[$0.key] == $0.value }
    }

    /// Upstream's `ShouldPodBeInEndpoints`: the pod has an address and has not finished; terminating pods
    /// count only where asked (slices carry them with `terminating: true`, Endpoints drop them).
    static func shouldInclude(_ pod: core.v1.Pod, includeTerminating: Bool) -> Bool {
        guard !addresses(of: pod).isEmpty, !pod.isTerminated else { return false }
        return includeTerminating || !pod.isBeingDeleted
    }

    /// The pod's IPs, `status.podIPs` first (dual stack) and `status.podIP` otherwise.
    static func addresses(of pod: core.v1.Pod) -> [String] {
        let listed = (pod.status?.podIPs ?? []).compactMap(\.ip).filter { !$0.isEmpty }
        if !listed.isEmpty { return listed }
        if let ip = pod.status?.podIP, !ip.isEmpty { return [ip] }
        return []
    }

    /// The address types (`IPv4`, `IPv6`) a Service's endpoints have: its IP families (IPv4 when unset).
    static func addressTypes(of service: core.v1.Service) -> [String] {
        let families = (service.spec?.ipFamilies ?? []).filter { $0 == "IPv4" || $0 == "IPv6" }
        return families.isEmpty ? ["IPv4"] : families
    }

    static func address(of pod: core.v1.Pod, type: String) -> String? {
        addresses(of: pod).first { type == "IPv6" ? $0.contains(":") : !$0.contains(":") }
    }

    /// The container port a Service port reaches on `pod` (upstream's `FindPort`): a number is taken as it
    /// is; a name must match a container port of the same protocol, else the pod has no such port.
    static func targetPort(_ port: core.v1.ServicePort, on pod: core.v1.Pod) -> Int32? {
        let proto = port.protocol ?? "TCP"
        switch port.targetPort {
        case .none: return port.port
        case .some(.int(let number)): return number == 0 ? port.port : number
        case .some(.string(let name)):
            if let number = Int32(name) { return number }
            for container in pod.spec?.containers ?? [] {
                for containerPort in container.ports ?? []
                    where containerPort.name == name && (containerPort.protocol ?? "TCP") == proto {
                    return containerPort.containerPort
                }
            }
            return nil
        }
    }

    /// The Service's ports as `pod` serves them; a port the pod lacks is left out (upstream's `getEndpointPorts`).
    static func slicePorts(_ service: core.v1.Service, pod: core.v1.Pod) -> [discovery.v1.EndpointPort] {
        (service.spec?.ports ?? []).compactMap { port in
            guard let number = targetPort(port, on: pod) else { return nil }
            return discovery.v1.EndpointPort(appProtocol: port.appProtocol, name: port.name ?? "", port: number,
                                             protocol: port.protocol ?? "TCP")
        }
    }

    /// Whether the endpoint carries the pod's hostname: a pod whose `subdomain` names this Service.
    static func hostname(of pod: core.v1.Pod, for service: core.v1.Service) -> String? {
        guard let hostname = pod.spec?.hostname, !hostname.isEmpty, pod.spec?.subdomain == service.objectName,
              pod.objectNamespace == service.objectNamespace else { return nil }
        return hostname
    }

    static func reference(to pod: core.v1.Pod) -> core.v1.ObjectReference {
        core.v1.ObjectReference(kind: "Pod", name: pod.objectName, namespace: pod.objectNamespace, uid: pod.uid)
    }

    /// Upstream's `podToEndpoint`: serving is readiness; ready is serving and not terminating, or always
    /// with `publishNotReadyAddresses`.
    static func endpoint(for pod: core.v1.Pod, service: core.v1.Service, address: String) -> discovery.v1.Endpoint {
        let publishNotReady = service.spec?.publishNotReadyAddresses == true
        let serving = publishNotReady || pod.isReady
        let terminating = pod.isBeingDeleted
        let ready = publishNotReady || (serving && !terminating)
        let node = pod.nodeName
        return discovery.v1.Endpoint(
            addresses: [address],
            conditions: discovery.v1.EndpointConditions(ready: ready, serving: serving, terminating: terminating),
            hostname: hostname(of: pod, for: service), nodeName: node.isEmpty ? nil : node,
            targetRef: reference(to: pod))
    }

    /// A port list as a key: endpoints whose pods resolve the Service's ports alike share slices.
    static func portsKey(_ ports: [discovery.v1.EndpointPort]) -> String {
        ports.map { "\($0.name ?? "")/\($0.protocol ?? "")/\($0.port ?? 0)/\($0.appProtocol ?? "")" }.sorted().joined(separator: ",")
    }

    /// The labels of a Service's slices or Endpoints: its own, less the reserved ones, plus the reserved.
    static func labels(for service: core.v1.Service, slice: Bool) -> [String: String] {
        var labels = service.objectLabels
        for reserved in [serviceNameLabel, managedByLabel, headlessLabel] { labels[reserved] = nil }
        if slice {
            labels[serviceNameLabel] = service.objectName
            labels[managedByLabel] = controllerName
        }
        if isHeadless(service) { labels[headlessLabel] = "" }
        return labels
    }

    /// Queues the Services that select a pod whenever what its endpoints show changes (both controllers'
    /// pod handler: an added or deleted pod, or an update to its labels, addresses, readiness or ports).
    static func enqueueServices(of pods: Informer<core.v1.Pod>, services: Informer<core.v1.Service>,
                                into queue: WorkQueue<String, ControllerClock>) async {
        func keys(_ pod: core.v1.Pod) -> [String] {
            services.indexer.byIndex(Indexer<core.v1.Service>.namespaceIndex, pod.objectNamespace)
                .filter { selects($0, pod) }.map(\.objectKey)
        }
        for await event in pods.events() {
            switch event {
            case .added(let pod), .deleted(let pod, _):
                for key in keys(pod) { await queue.add(key) }
            case .updated(let old, let new):
                guard PodEndpointFacts(old) != PodEndpointFacts(new) else { continue }
                for key in Set(keys(old) + keys(new)) { await queue.add(key) }
            }
        }
    }
}
