import SkiffAPI

/// Endpoints that share an address type and resolved ports, so they can share slices.
struct EndpointGroup: Equatable {
    var addressType: String
    var ports: [discovery.v1.EndpointPort]
    var endpoints: [discovery.v1.Endpoint]

    var key: String { EndpointSlicePlan.groupKey(addressType: addressType, ports: ports) }

    /// The groups a Service's pods make (upstream's reconciler input): pods in name order, each in the group
    /// of its resolved ports, for each of the Service's address types it has an address of.
    static func desired(for service: core.v1.Service, pods: [core.v1.Pod]) -> [EndpointGroup] {
        var groups: [String: EndpointGroup] = [:]
        var order: [String] = []
        for pod in pods.sorted(by: { $0.objectName < $1.objectName })
            where ServiceEndpoints.selects(service, pod) && ServiceEndpoints.shouldInclude(pod, includeTerminating: true) {
            let ports = ServiceEndpoints.slicePorts(service, pod: pod)
            for type in ServiceEndpoints.addressTypes(of: service) {
                guard let address = ServiceEndpoints.address(of: pod, type: type) else { continue }
                let key = EndpointSlicePlan.groupKey(addressType: type, ports: ports)
                if groups[key] == nil {
                    groups[key] = EndpointGroup(addressType: type, ports: ports, endpoints: [])
                    order.append(key)
                }
                groups[key]?.endpoints.append(ServiceEndpoints.endpoint(for: pod, service: service, address: address))
            }
        }
        return order.compactMap { groups[$0] }
    }
}

/// The writes that make a Service's slices hold exactly the desired endpoints (upstream's
/// `endpointslice.Reconciler`): slices that keep some endpoints are updated in place, new endpoints fill the
/// slices being updated before any others and only then new slices of at most `maxEndpoints`, emptied slices
/// go. A slice whose content is already right is not written, so an unrelated pod change costs nothing.
struct EndpointSlicePlan: Equatable {
    var creates: [discovery.v1.EndpointSlice] = []
    var updates: [discovery.v1.EndpointSlice] = []
    var deletes: [discovery.v1.EndpointSlice] = []

    /// Upstream's `--max-endpoints-per-slice` default.
    static let maxEndpoints = 100

    var isEmpty: Bool { creates.isEmpty && updates.isEmpty && deletes.isEmpty }

    static func groupKey(addressType: String, ports: [discovery.v1.EndpointPort]) -> String {
        addressType + "|" + ServiceEndpoints.portsKey(ports)
    }

    /// Which desired endpoint an existing one is: the same pod at the same address.
    static func identity(_ endpoint: discovery.v1.Endpoint) -> String {
        (endpoint.targetRef?.uid ?? endpoint.targetRef?.name ?? "") + "|" + (endpoint.addresses.first ?? "")
    }

    static func plan(service: core.v1.Service, desired: [EndpointGroup], existing: [discovery.v1.EndpointSlice],
                     maxEndpoints: Int = maxEndpoints) -> EndpointSlicePlan {
        var plan = EndpointSlicePlan()
        let template = Self.template(for: service)
        let existing = existing.sorted { $0.objectName < $1.objectName }
        if desired.allSatisfy(\.endpoints.isEmpty) {
            // A Service with no endpoints keeps one empty placeholder slice (kubectl shows `<unset>` ports).
            let type = ServiceEndpoints.addressTypes(of: service)[0]
            if var keep = existing.first(where: { $0.endpoints.isEmpty && ($0.ports ?? []).isEmpty && $0.addressType == type }) {
                if adopt(&keep, template: template) { plan.updates.append(keep) }
                plan.deletes = existing.filter { $0.objectName != keep.objectName }
            } else {
                var placeholder = template
                placeholder.addressType = type
                plan.creates = [placeholder]
                plan.deletes = existing
            }
            return plan
        }
        var byGroup: [String: [discovery.v1.EndpointSlice]] = [:]
        for slice in existing { byGroup[groupKey(addressType: slice.addressType, ports: slice.ports ?? []), default: []].append(slice) }
        for group in desired where !group.endpoints.isEmpty {
            var wanted: [String: discovery.v1.Endpoint] = [:]
            for endpoint in group.endpoints { wanted[identity(endpoint)] = endpoint }
            var touched: [discovery.v1.EndpointSlice] = []
            var untouched: [discovery.v1.EndpointSlice] = []
            for var slice in byGroup.removeValue(forKey: group.key) ?? [] {
                let kept = slice.endpoints.compactMap { wanted.removeValue(forKey: identity($0)) }
                if kept.isEmpty {
                    plan.deletes.append(slice)
                    continue
                }
                let relabelled = adopt(&slice, template: template)
                if kept != slice.endpoints || relabelled {
                    slice.endpoints = kept
                    touched.append(slice)
                } else {
                    untouched.append(slice)
                }
            }
            var remaining = group.endpoints.filter { wanted[identity($0)] != nil }[...]
            for index in touched.indices where !remaining.isEmpty {
                let room = maxEndpoints - touched[index].endpoints.count
                touched[index].endpoints += remaining.prefix(max(0, room))
                remaining = remaining.dropFirst(max(0, room))
            }
            for var slice in untouched {
                let room = maxEndpoints - slice.endpoints.count
                if !remaining.isEmpty && room > 0 {
                    slice.endpoints += remaining.prefix(room)
                    remaining = remaining.dropFirst(room)
                    touched.append(slice)
                }
            }
            while !remaining.isEmpty {
                var slice = template
                slice.addressType = group.addressType
                slice.ports = group.ports
                slice.endpoints = Array(remaining.prefix(maxEndpoints))
                remaining = remaining.dropFirst(maxEndpoints)
                plan.creates.append(slice)
            }
            plan.updates += touched
        }
        plan.deletes += byGroup.values.flatMap { $0 }.sorted { $0.objectName < $1.objectName }
        return plan
    }

    /// A new slice of `service`: named after it, labelled, owned by it.
    static func template(for service: core.v1.Service) -> discovery.v1.EndpointSlice {
        let owner = meta.v1.OwnerReference(apiVersion: "v1", blockOwnerDeletion: true, controller: true, kind: "Service",
                                           name: service.objectName, uid: service.uid)
        return discovery.v1.EndpointSlice(
            addressType: "IPv4", apiVersion: "discovery.k8s.io/v1", endpoints: [], kind: "EndpointSlice",
            metadata: meta.v1.ObjectMeta(generateName: "\(service.objectName)-",
                                         labels: ServiceEndpoints.labels(for: service, slice: true),
                                         namespace: service.objectNamespace, ownerReferences: [owner]))
    }

    /// Gives an existing slice the labels and owner a slice of `template`'s Service has; true if it changed.
    static func adopt(_ slice: inout discovery.v1.EndpointSlice, template: discovery.v1.EndpointSlice) -> Bool {
        var changed = false
        if slice.metadata?.labels != template.metadata?.labels {
            slice.metadata?.labels = template.metadata?.labels
            changed = true
        }
        if slice.metadata?.ownerReferences != template.metadata?.ownerReferences {
            slice.metadata?.ownerReferences = template.metadata?.ownerReferences
            changed = true
        }
        return changed
    }
}
