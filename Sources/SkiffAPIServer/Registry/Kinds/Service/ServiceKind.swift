import Foundation
import SkiffAPI

/// Services (upstream's `pkg/registry/core/service`): cluster IPs and node ports from the shared
/// allocator, DNS-1035 names, and the `kubectl get services` table.
enum ServiceKind {
    static let definition = KindDefinition(group: "", resource: "services") {
        $0.strategy = { shared in ServiceStrategy(allocator: shared.services) }
        $0.table = table
        $0.nameRule = .dns1035
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Type"), P.column("Cluster-IP"), P.column("External-IP"), P.column("Port(s)"), P.ageColumn,
                  P.column("Selector", wide: true)],
        row: { object, now in
            let spec = object["spec"] ?? [:]
            let type = spec["type"]?.stringValue ?? "ClusterIP"
            let ports = (spec["ports"]?.arrayValue ?? []).map { port -> String in
                let number = port["port"]?.intValue ?? 0
                let proto = port["protocol"]?.stringValue ?? "TCP"
                if let nodePort = port["nodePort"]?.intValue, nodePort != 0 { return "\(number):\(nodePort)/\(proto)" }
                return "\(number)/\(proto)"
            }
            return [P.name(object), .string(type), .string(spec["clusterIP"]?.stringValue ?? "<none>"),
                    .string(externalIP(object, type: type)), P.orNone(ports), P.age(object, now), P.selector(spec["selector"])]
        })

    static func externalIP(_ service: JSONValue, type: String) -> String {
        let external = service["spec"]?["externalIPs"]?.arrayValue?.compactMap(\.stringValue) ?? []
        switch type {
        case "ExternalName": return service["spec"]?["externalName"]?.stringValue ?? "<none>"
        case "LoadBalancer":
            let ingress = (service["status"]?["loadBalancer"]?["ingress"]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue ?? $0["hostname"]?.stringValue }
            let all = ingress + external
            return all.isEmpty ? "<pending>" : all.joined(separator: ",")
        default:
            return external.isEmpty ? "<none>" : external.joined(separator: ",")
        }
    }
}
