import Foundation
import SkiffAPI

/// Nodes (upstream's `pkg/registry/core/node`): `spec.unschedulable` selectable, podCIDRs and providerID
/// set once, and the `kubectl get nodes` table.
enum NodeKind {
    static let definition = KindDefinition(group: "", resource: "nodes") {
        $0.strategy = { _ in DefaultingStrategy(tracksGeneration: false, hasStatusSubresource: true) }
        $0.fields = ResourceFields(computed: ["spec.unschedulable"], compute: { ["spec.unschedulable": $0["spec"]?["unschedulable"]?.boolValue == true ? "true" : "false"] })
        $0.table = table
        $0.validateUpdateOnly = validateUpdate
    }

    /// `ValidateNodeUpdate`.
    static func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldProblem] {
        let spec = object["spec"] ?? [:], oldSpec = old["spec"] ?? [:]
        var problems: [FieldProblem] = []
        let cidrs = spec["podCIDRs"]?.arrayValue ?? [], oldCIDRs = oldSpec["podCIDRs"]?.arrayValue ?? []
        if !oldCIDRs.isEmpty, cidrs != oldCIDRs {
            problems.append(.forbidden("spec.podCIDRs", "node updates may not change podCIDR except from \"\" to valid"))
        }
        let provider = oldSpec["providerID"]?.stringValue ?? ""
        if !provider.isEmpty, spec["providerID"]?.stringValue != provider {
            problems.append(.forbidden("spec.providerID", "node updates may not change providerID except from \"\" to valid"))
        }
        return problems
    }

    typealias P = Printers

    static let table = ColumnPrinter(
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
}
