import Foundation
import SkiffAPI

/// Services: defaults, cluster IPs and node ports allocated on create and kept on update.
struct ServiceStrategy: ResourceStrategy {
    let allocator: ServiceAllocator

    var hasStatusSubresource: Bool { true }

    func prepareForCreate(_ object: inout JSONValue, context: StrategyContext) {
        object["status"] = ["loadBalancer": [:]]
        defaults(&object)
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue, context: StrategyContext) {
        object["status"] = old["status"]
        // Allocated addresses stay unless the update names them (changing them is refused by validation).
        if (object["spec"]?["clusterIP"]?.stringValue ?? "").isEmpty, let ip = old["spec"]?["clusterIP"] {
            object.setValue(ip, at: ["spec", "clusterIP"])
            object.setValue(old["spec"]?["clusterIPs"], at: ["spec", "clusterIPs"])
        }
        if var ports = object["spec"]?["ports"]?.arrayValue, let oldPorts = old["spec"]?["ports"]?.arrayValue {
            for i in ports.indices where ports[i]["nodePort"] == nil {
                if let match = oldPorts.first(where: { $0["port"] == ports[i]["port"] && ($0["protocol"] ?? "TCP") == (ports[i]["protocol"] ?? "TCP") }),
                   let nodePort = match["nodePort"] {
                    ports[i]["nodePort"] = nodePort
                }
            }
            object.setValue(.array(ports), at: ["spec", "ports"])
        }
        defaults(&object)
    }

    func defaults(_ object: inout JSONValue) {
        var spec = object["spec"] ?? [:]
        let type = spec["type"]?.stringValue ?? "ClusterIP"
        spec["type"] = .string(type)
        if type != "ExternalName" {
            if spec["sessionAffinity"] == nil { spec["sessionAffinity"] = "None" }
            if spec["internalTrafficPolicy"] == nil { spec["internalTrafficPolicy"] = "Cluster" }
            if spec["ipFamilies"] == nil { spec["ipFamilies"] = ["IPv4"] }
            if spec["ipFamilyPolicy"] == nil { spec["ipFamilyPolicy"] = "SingleStack" }
        }
        if type == "NodePort" || type == "LoadBalancer", spec["externalTrafficPolicy"] == nil {
            spec["externalTrafficPolicy"] = "Cluster"
        }
        if type == "LoadBalancer", spec["allocateLoadBalancerNodePorts"] == nil { spec["allocateLoadBalancerNodePorts"] = true }
        if var ports = spec["ports"]?.arrayValue {
            for i in ports.indices {
                if ports[i]["protocol"] == nil { ports[i]["protocol"] = "TCP" }
                if ports[i]["targetPort"] == nil { ports[i]["targetPort"] = ports[i]["port"] ?? 0 }
            }
            spec["ports"] = .array(ports)
        }
        object["spec"] = spec
    }

    func afterDelete(_ object: JSONValue) { allocator.release(object) }

    func validateCreate(_ object: JSONValue, context: StrategyContext) -> APIError? {
        Self.invalid(object, Self.portProblems(object))
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue, context: StrategyContext) -> APIError? {
        var problems = Self.portProblems(object)
        // `ValidateServiceUpdate`: an allocated cluster IP is the service's for good (ExternalName and
        // headless services aside).
        let type = object["spec"]?["type"]?.stringValue, oldType = old["spec"]?["type"]?.stringValue
        let ip = object["spec"]?["clusterIP"]?.stringValue ?? "", oldIP = old["spec"]?["clusterIP"]?.stringValue ?? ""
        if type != "ExternalName", oldType != "ExternalName", !oldIP.isEmpty, !ip.isEmpty, ip != oldIP {
            problems.append(.init(field: "spec.clusterIPs[0]", reason: "FieldValueInvalid",
                                  message: "Invalid value: []string{\(JSONValue.string(ip).jsonString)}: may not change once set"))
        }
        return Self.invalid(object, problems)
    }

    /// Each port and target port is a port number (upstream's `validateServicePort`).
    static func portProblems(_ object: JSONValue) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        for (i, port) in (object["spec"]?["ports"]?.arrayValue ?? []).enumerated() {
            let field = "spec.ports[\(i)]"
            let number = port["port"]?.intValue ?? 0
            if !(1...65535).contains(number) {
                problems.append(.invalid("\(field).port", .int(number), "must be between 1 and 65535, inclusive"))
            }
            if case .int(let target)? = port["targetPort"], !(1...65535).contains(target) {
                problems.append(.invalid("\(field).targetPort", .int(target), "must be between 1 and 65535, inclusive"))
            }
        }
        return problems
    }

    static func invalid(_ object: JSONValue, _ problems: [FieldProblem]) -> APIError? {
        guard !problems.isEmpty else { return nil }
        return FieldProblem.invalid(group: "", kind: "Service", name: object["metadata"]?["name"]?.stringValue ?? "", problems)
    }

    /// Allocates the cluster IP and node ports a service lacks (all of them on create); not for dry runs,
    /// which get placeholders.
    func beforeStore(_ object: inout JSONValue, old: JSONValue?, dryRun: Bool) throws(APIError) {
        var spec = object["spec"] ?? [:]
        let type = spec["type"]?.stringValue ?? "ClusterIP"
        let oldIP = old?["spec"]?["clusterIP"]?.stringValue ?? ""
        if type != "ExternalName", oldIP.isEmpty || oldIP != spec["clusterIP"]?.stringValue {
            let requested = spec["clusterIP"]?.stringValue ?? spec["clusterIPs"]?[0]?.stringValue
            if requested == "None" {
                spec["clusterIP"] = "None"
                spec["clusterIPs"] = ["None"]
            } else {
                let ip = dryRun ? (requested ?? allocator.firstAddress)
                    : try allocator.allocateIP(requested: requested, service: object["metadata"]?["name"]?.stringValue ?? "")
                spec["clusterIP"] = .string(ip)
                spec["clusterIPs"] = [.string(ip)]
            }
        }
        if type == "NodePort" || (type == "LoadBalancer" && spec["allocateLoadBalancerNodePorts"]?.boolValue != false),
           var ports = spec["ports"]?.arrayValue
        {
            let oldPorts = Set((old?["spec"]?["ports"]?.arrayValue ?? []).compactMap { $0["nodePort"]?.intValue })
            for i in ports.indices {
                let requested = ports[i]["nodePort"]?.intValue
                if dryRun || (requested.map { oldPorts.contains($0) } ?? false) { continue }
                ports[i]["nodePort"] = .int(Int64(try allocator.allocatePort(
                    requested: requested.map { Int($0) }, index: i, service: object["metadata"]?["name"]?.stringValue ?? "")))
            }
            spec["ports"] = .array(ports)
        }
        object["spec"] = spec
    }
}
