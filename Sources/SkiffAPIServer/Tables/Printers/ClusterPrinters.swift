import Foundation
import SkiffAPI

/// Tables of services, nodes, namespaces, events and configuration objects.
enum ClusterPrinters {
    typealias P = Printers

    static let services = ColumnPrinter(
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

    /// Upstream's `kubectl get apiservices`: NAME, SERVICE (`Local`, or namespace/name), AVAILABLE (the
    /// Available condition, with its reason when not True), AGE.
    static let apiServices = ColumnPrinter(
        columns: [P.nameColumn, P.column("Service"), P.column("Available"), P.ageColumn],
        row: { object, now in
            let service = object["spec"]?["service"]
            let target = service.map { "\($0["namespace"]?.stringValue ?? "")/\($0["name"]?.stringValue ?? "")" } ?? "Local"
            let available = (object["status"]?["conditions"]?.arrayValue ?? []).first { $0["type"] == "Available" }
            var text = available?["status"]?.stringValue ?? "Unknown"
            if text != "True", let reason = available?["reason"]?.stringValue { text += " (\(reason))" }
            return [P.name(object), .string(target), .string(text), P.age(object, now)]
        })

    static let endpoints = ColumnPrinter(
        columns: [P.nameColumn, P.column("Endpoints"), P.ageColumn],
        row: { object, now in
            var pairs: [String] = []
            for subset in object["subsets"]?.arrayValue ?? [] {
                let ports = subset["ports"]?.arrayValue?.compactMap { $0["port"]?.intValue } ?? []
                for address in subset["addresses"]?.arrayValue ?? [] {
                    let ip = address["ip"]?.stringValue ?? ""
                    if ports.isEmpty { pairs.append(ip) } else { for port in ports { pairs.append("\(ip):\(port)") } }
                }
            }
            var text = pairs.prefix(3).joined(separator: ",")
            if pairs.count > 3 { text += " + \(pairs.count - 3) more..." }
            return [P.name(object), .string(pairs.isEmpty ? "<none>" : text), P.age(object, now)]
        })

    static let endpointSlices = ColumnPrinter(
        columns: [P.nameColumn, P.column("AddressType"), P.column("Ports"), P.column("Endpoints"), P.ageColumn],
        row: { object, now in
            let ports = (object["ports"]?.arrayValue ?? []).compactMap { $0["port"]?.intValue.map(String.init) }
            let addresses = (object["endpoints"]?.arrayValue ?? []).flatMap { $0["addresses"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
            var text = addresses.prefix(3).joined(separator: ",")
            if addresses.count > 3 { text += " + \(addresses.count - 3) more..." }
            return [P.name(object), .string(object["addressType"]?.stringValue ?? ""), .string(ports.isEmpty ? "<unset>" : ports.joined(separator: ",")),
                    .string(addresses.isEmpty ? "<unset>" : text), P.age(object, now)]
        })

    static let nodes = ColumnPrinter(
        columns: [P.nameColumn, P.column("Status"), P.column("Roles"), P.ageColumn, P.column("Version"),
                  P.column("Internal-IP", wide: true), P.column("External-IP", wide: true), P.column("OS-Image", wide: true),
                  P.column("Kernel-Version", wide: true), P.column("Container-Runtime", wide: true)],
        row: { node, now in
            let status = node["status"] ?? [:]
            var conditions: [String] = []
            if let ready = (status["conditions"]?.arrayValue ?? []).first(where: { $0["type"]?.stringValue == "Ready" }) {
                switch ready["status"]?.stringValue {
                case "True"?: conditions.append("Ready")
                default: conditions.append("NotReady")
                }
            } else {
                conditions.append("Unknown")
            }
            if node["spec"]?["unschedulable"]?.boolValue == true { conditions.append("SchedulingDisabled") }
            var roles: [String] = []
            for (key, value) in node["metadata"]?["labels"]?.objectValue ?? [:] {
                if key.hasPrefix("node-role.kubernetes.io/") {
                    let role = String(key.dropFirst("node-role.kubernetes.io/".count))
                    if !role.isEmpty { roles.append(role) }
                } else if key == "kubernetes.io/role", let role = value.stringValue, !role.isEmpty {
                    roles.append(role)
                }
            }
            let addresses = status["addresses"]?.arrayValue ?? []
            func address(_ type: String) -> String {
                addresses.first { $0["type"]?.stringValue == type }?["address"]?.stringValue ?? "<none>"
            }
            let info = status["nodeInfo"] ?? [:]
            return [P.name(node), .string(conditions.joined(separator: ",")), P.orNone(roles.sorted()), P.age(node, now),
                    .string(info["kubeletVersion"]?.stringValue ?? ""), .string(address("InternalIP")), .string(address("ExternalIP")),
                    .string(info["osImage"]?.stringValue ?? "<unknown>"), .string(info["kernelVersion"]?.stringValue ?? "<unknown>"),
                    .string(info["containerRuntimeVersion"]?.stringValue ?? "<unknown>")]
        })

    static let namespaces = ColumnPrinter(
        columns: [P.nameColumn, P.column("Status"), P.ageColumn],
        row: { object, now in [P.name(object), .string(object["status"]?["phase"]?.stringValue ?? "Active"), P.age(object, now)] })

    static let events = ColumnPrinter(
        columns: [P.column("Last Seen"), P.column("Type"), P.column("Reason"), P.column("Object"),
                  P.column("Subobject", wide: true), P.column("Source", wide: true), P.column("Message"),
                  P.column("First Seen", wide: true), P.column("Count", "integer", wide: true), TableColumn(name: "Name", type: "string", format: "name", priority: 1)],
        row: { event, now in
            let first = event["firstTimestamp"]?.stringValue ?? event["eventTime"]?.stringValue ?? event["metadata"]?["creationTimestamp"]?.stringValue
            let last = event["lastTimestamp"]?.stringValue ?? event["series"]?["lastObservedTime"]?.stringValue ?? first
            let involved = event["involvedObject"] ?? [:]
            let object = "\((involved["kind"]?.stringValue ?? "").lowercased())/\(involved["name"]?.stringValue ?? "")"
            var source = event["source"]?["component"]?.stringValue ?? event["reportingComponent"]?.stringValue ?? ""
            if let host = event["source"]?["host"]?.stringValue, !host.isEmpty { source += ", " + host }
            return [.string(Age.since(last, now: now)), .string(event["type"]?.stringValue ?? ""), .string(event["reason"]?.stringValue ?? ""),
                    .string(object), .string(involved["fieldPath"]?.stringValue ?? ""), .string(source),
                    .string((event["message"]?.stringValue ?? "").trimmingCharacters(in: .whitespacesAndNewlines)),
                    .string(Age.since(first, now: now)), .int(event["count"]?.intValue ?? 1), P.name(event)]
        })

    static let configMaps = ColumnPrinter(
        columns: [P.nameColumn, P.column("Data", "integer"), P.ageColumn],
        row: { object, now in
            let count = (object["data"]?.objectValue?.count ?? 0) + (object["binaryData"]?.objectValue?.count ?? 0)
            return [P.name(object), .int(Int64(count)), P.age(object, now)]
        })

    static let secrets = ColumnPrinter(
        columns: [P.nameColumn, P.column("Type"), P.column("Data", "integer"), P.ageColumn],
        row: { object, now in
            [P.name(object), .string(object["type"]?.stringValue ?? "Opaque"), .int(Int64(object["data"]?.objectValue?.count ?? 0)), P.age(object, now)]
        })

    static let serviceAccounts = ColumnPrinter(
        columns: [P.nameColumn, P.column("Secrets", "integer"), P.ageColumn],
        row: { object, now in [P.name(object), .int(Int64(object["secrets"]?.arrayValue?.count ?? 0)), P.age(object, now)] })

    static let leases = ColumnPrinter(
        columns: [P.nameColumn, P.column("Holder"), P.ageColumn],
        row: { object, now in [P.name(object), .string(object["spec"]?["holderIdentity"]?.stringValue ?? ""), P.age(object, now)] })

    static let persistentVolumeClaims = ColumnPrinter(
        columns: [P.nameColumn, P.column("Status"), P.column("Volume"), P.column("Capacity"), P.column("Access Modes"),
                  P.column("StorageClass"), P.column("VolumeAttributesClass"), P.ageColumn, P.column("VolumeMode", wide: true)],
        row: { object, now in
            let spec = object["spec"] ?? [:]
            let status = object["status"] ?? [:]
            let phase = object["metadata"]?["deletionTimestamp"] != nil ? "Terminating" : (status["phase"]?.stringValue ?? "Pending")
            return [P.name(object), .string(phase), .string(spec["volumeName"]?.stringValue ?? ""),
                    .string(status["capacity"]?["storage"]?.stringValue ?? ""), .string(accessModes(status["accessModes"])),
                    .string(spec["storageClassName"]?.stringValue ?? ""), .string(spec["volumeAttributesClassName"]?.stringValue ?? "<unset>"),
                    P.age(object, now), .string(spec["volumeMode"]?.stringValue ?? "Filesystem")]
        })

    static let persistentVolumes = ColumnPrinter(
        columns: [P.nameColumn, P.column("Capacity"), P.column("Access Modes"), P.column("Reclaim Policy"), P.column("Status"),
                  P.column("Claim"), P.column("StorageClass"), P.column("VolumeAttributesClass"), P.column("Reason"), P.ageColumn,
                  P.column("VolumeMode", wide: true)],
        row: { object, now in
            let spec = object["spec"] ?? [:]
            let status = object["status"] ?? [:]
            var claim = ""
            if let ref = spec["claimRef"], let name = ref["name"]?.stringValue { claim = "\(ref["namespace"]?.stringValue ?? "")/\(name)" }
            let phase = object["metadata"]?["deletionTimestamp"] != nil ? "Terminating" : (status["phase"]?.stringValue ?? "Pending")
            return [P.name(object), .string(spec["capacity"]?["storage"]?.stringValue ?? ""), .string(accessModes(spec["accessModes"])),
                    .string(spec["persistentVolumeReclaimPolicy"]?.stringValue ?? ""), .string(phase), .string(claim),
                    .string(spec["storageClassName"]?.stringValue ?? ""), .string(spec["volumeAttributesClassName"]?.stringValue ?? "<unset>"),
                    .string(status["reason"]?.stringValue ?? ""), P.age(object, now), .string(spec["volumeMode"]?.stringValue ?? "Filesystem")]
        })

    static func accessModes(_ value: JSONValue?) -> String {
        let short = ["ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"]
        return (value?.arrayValue ?? []).compactMap { $0.stringValue.flatMap { short[$0] } }.joined(separator: ",")
    }
}
