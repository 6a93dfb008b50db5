import SkiffAPI
@testable import SkiffControllers
import Testing

/// Slices and Endpoints computed from a Service and pods, as upstream's reconcilers compute them.
@Suite struct EndpointSlicePlanTests {
    static func service(_ name: String = "web", ports: [core.v1.ServicePort] = [.init(name: "http", port: 80, targetPort: .int(8080))],
                        clusterIP: String? = "10.96.0.20", publishNotReady: Bool = false) -> core.v1.Service {
        core.v1.Service(metadata: meta.v1.ObjectMeta(labels: ["team": "a"], name: name, namespace: "default", uid: "svc-uid"),
                        spec: core.v1.ServiceSpec(clusterIP: clusterIP, ports: ports,
                                                  publishNotReadyAddresses: publishNotReady, selector: ["app": "web"]))
    }

    static func pod(_ name: String, ip: String? = nil, ready: Bool = true, deleting: Bool = false, phase: String = "Running",
                    labels: [String: String] = ["app": "web"], ports: [core.v1.ContainerPort] = [],
                    hostname: String? = nil, subdomain: String? = nil) -> core.v1.Pod {
        core.v1.Pod(
            metadata: meta.v1.ObjectMeta(deletionTimestamp: deleting ? meta.v1.Time(rfc3339: "2026-01-01T00:00:00Z") : nil,
                                         labels: labels, name: name, namespace: "default", uid: "uid-\(name)"),
            spec: core.v1.PodSpec(containers: [core.v1.Container(image: "web", name: "c", ports: ports)], hostname: hostname,
                                  nodeName: "node-1", subdomain: subdomain),
            status: core.v1.PodStatus(conditions: [core.v1.PodCondition(status: ready ? "True" : "False", type: "Ready")],
                                      phase: phase, podIP: ip))
    }

    static func pods(_ count: Int) -> [core.v1.Pod] {
        (0..<count).map { pod(String(format: "web-%03d", $0), ip: "10.244.\($0 / 200).\($0 % 200 + 2)") }
    }

    /// Gives planned creations the names the API server would.
    static func stored(_ plan: EndpointSlicePlan) -> [discovery.v1.EndpointSlice] {
        plan.creates.enumerated().map { index, slice in
            var slice = slice
            slice.metadata?.name = "web-\(index)"
            return slice
        } + plan.updates
    }

    @Test func endpointsArePackedAtMostAHundredToASliceWithTheServicesLabelsAndOwner() {
        let service = Self.service()
        let plan = EndpointSlicePlan.plan(service: service, desired: EndpointGroup.desired(for: service, pods: Self.pods(250)),
                                          existing: [])
        #expect(plan.creates.map(\.endpoints.count) == [100, 100, 50])
        let slice = plan.creates[0]
        #expect(slice.metadata?.generateName == "web-")
        #expect(slice.metadata?.labels == ["team": "a", "kubernetes.io/service-name": "web",
                                           "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"])
        #expect(slice.metadata?.ownerReferences?.first?.uid == "svc-uid")
        #expect(slice.metadata?.ownerReferences?.first?.controller == true)
        #expect(slice.addressType == "IPv4")
        #expect(slice.ports == [discovery.v1.EndpointPort(name: "http", port: 8080, protocol: "TCP")])
        let first = slice.endpoints[0]
        #expect(first.addresses == ["10.244.0.2"])
        #expect(first.conditions == discovery.v1.EndpointConditions(ready: true, serving: true, terminating: false))
        #expect(first.nodeName == "node-1")
        #expect(first.targetRef?.name == "web-000")
    }

    @Test func conditionsFollowReadinessTerminationAndPublishNotReady() {
        let pods = [Self.pod("a", ip: "10.244.0.2", ready: false), Self.pod("b", ip: "10.244.0.3", deleting: true),
                    Self.pod("c", ip: "10.244.0.4", ready: false, deleting: true)]
        let conditions = EndpointGroup.desired(for: Self.service(), pods: pods)[0].endpoints.map(\.conditions)
        #expect(conditions == [.init(ready: false, serving: false, terminating: false),
                               .init(ready: false, serving: true, terminating: true),
                               .init(ready: false, serving: false, terminating: true)])
        let published = EndpointGroup.desired(for: Self.service(publishNotReady: true), pods: pods)[0].endpoints.map(\.conditions)
        #expect(published.allSatisfy { $0?.ready == true && $0?.serving == true })
    }

    @Test func podsWithoutAnAddressFinishedOrUnselectedAreLeftOut() {
        let pods = [Self.pod("no-ip"), Self.pod("done", ip: "10.244.0.2", phase: "Succeeded"),
                    Self.pod("other", ip: "10.244.0.3", labels: ["app": "db"]), Self.pod("in", ip: "10.244.0.4")]
        let groups = EndpointGroup.desired(for: Self.service(), pods: pods)
        #expect(groups.flatMap(\.endpoints).map { $0.targetRef?.name } == ["in"])
    }

    @Test func namedTargetPortsResolvePerPodAndSplitSlicesByNumber() {
        let service = Self.service(ports: [.init(name: "http", port: 80, targetPort: .string("web"))])
        let pods = [Self.pod("a", ip: "10.244.0.2", ports: [.init(containerPort: 8080, name: "web")]),
                    Self.pod("b", ip: "10.244.0.3", ports: [.init(containerPort: 9090, name: "web")]),
                    Self.pod("c", ip: "10.244.0.4", ports: [.init(containerPort: 8080, name: "web", protocol: "UDP")]),
                    Self.pod("d", ip: "10.244.0.5")]
        let plan = EndpointSlicePlan.plan(service: service, desired: EndpointGroup.desired(for: service, pods: pods), existing: [])
        let byPort = Dictionary(plan.creates.map { ($0.ports?.first?.port ?? 0, $0.endpoints.compactMap(\.targetRef?.name)) },
                                uniquingKeysWith: +)
        // c's port has another protocol and d has none: both land in a slice without ports.
        #expect(byPort == [8080: ["a"], 9090: ["b"], 0: ["c", "d"]])
    }

    @Test func aServiceWithoutEndpointsKeepsOnePlaceholder() {
        let service = Self.service()
        let plan = EndpointSlicePlan.plan(service: service, desired: [], existing: [])
        #expect(plan.creates.count == 1)
        #expect(plan.creates[0].endpoints.isEmpty && plan.creates[0].ports == nil)
        let again = EndpointSlicePlan.plan(service: service, desired: [], existing: Self.stored(plan))
        #expect(again.isEmpty)
        // Pods arrive: a real slice is made and the placeholder goes.
        let filled = EndpointSlicePlan.plan(service: service, desired: EndpointGroup.desired(for: service, pods: Self.pods(2)),
                                            existing: Self.stored(plan))
        #expect(filled.creates.map(\.endpoints.count) == [2])
        #expect(filled.deletes.map(\.objectName) == ["web-0"])
    }

    @Test func oneChangedPodRewritesOneSliceAndNewEndpointsFillItFirst() {
        let service = Self.service()
        var pods = Self.pods(250)
        let existing = Self.stored(EndpointSlicePlan.plan(service: service, desired: EndpointGroup.desired(for: service, pods: pods),
                                                          existing: []))
        #expect(EndpointSlicePlan.plan(service: service, desired: EndpointGroup.desired(for: service, pods: pods),
                                       existing: existing).isEmpty)
        pods[120] = Self.pod(pods[120].objectName, ip: "10.244.0.122", ready: false)
        let unready = EndpointSlicePlan.plan(service: service, desired: EndpointGroup.desired(for: service, pods: pods),
                                             existing: existing)
        #expect(unready.creates.isEmpty && unready.deletes.isEmpty)
        #expect(unready.updates.map(\.objectName) == ["web-1"])

        pods.remove(at: 10)
        pods.append(Self.pod("zz-new", ip: "10.244.9.9"))
        let moved = EndpointSlicePlan.plan(service: service, desired: EndpointGroup.desired(for: service, pods: pods),
                                           existing: existing)
        #expect(moved.creates.isEmpty)
        #expect(moved.updates.map(\.objectName).sorted() == ["web-0", "web-1"])
        #expect(moved.updates.first { $0.objectName == "web-0" }?.endpoints.last?.targetRef?.name == "zz-new")
    }

    @Test func hostnamesAreSetForPodsInTheServicesSubdomain() {
        let pods = [Self.pod("db-0", ip: "10.244.0.2", hostname: "db-0", subdomain: "web"),
                    Self.pod("db-1", ip: "10.244.0.3", hostname: "db-1", subdomain: "other")]
        let endpoints = EndpointGroup.desired(for: Self.service(clusterIP: "None"), pods: pods)[0].endpoints
        #expect(endpoints.map(\.hostname) == ["db-0", nil])
    }

    @Test func legacyEndpointsSplitReadyFromNotReadyAndDropTerminating() {
        let pods = [Self.pod("b", ip: "10.244.0.3"), Self.pod("a", ip: "10.244.0.2"),
                    Self.pod("u", ip: "10.244.0.4", ready: false), Self.pod("t", ip: "10.244.0.5", deleting: true)]
        let (subsets, truncated) = EndpointsSyncer.subsets(for: Self.service(), pods: pods)
        #expect(!truncated)
        #expect(subsets.count == 1)
        #expect(subsets[0].addresses?.map(\.ip) == ["10.244.0.2", "10.244.0.3"])
        #expect(subsets[0].notReadyAddresses?.map(\.ip) == ["10.244.0.4"])
        #expect(subsets[0].ports == [core.v1.EndpointPort(name: "http", port: 8080, protocol: "TCP")])
        // Headless without ports still lists its pods; a ClusterIP Service without ports lists none.
        #expect(EndpointsSyncer.subsets(for: Self.service(ports: [], clusterIP: "None"), pods: pods).0.count == 1)
        #expect(EndpointsSyncer.subsets(for: Self.service(ports: []), pods: pods).0.isEmpty)
    }

    @Test func legacyEndpointsStopAtAThousandAddresses() {
        let (subsets, truncated) = EndpointsSyncer.subsets(for: Self.service(), pods: Self.pods(1200))
        #expect(truncated)
        #expect(subsets.map { $0.addresses?.count ?? 0 }.reduce(0, +) == 1000)
    }
}
