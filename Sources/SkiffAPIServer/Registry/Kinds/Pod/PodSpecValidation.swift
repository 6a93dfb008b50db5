import Foundation
import SkiffAPI

/// The core of `ValidatePodSpec`: what a pod must have to be run at all (containers with names and
/// images, supported policies, sane ports and volumes). Paths are relative to `at` (`spec`,
/// `spec.template.spec`).
enum PodSpecValidation {
    static let restartPolicies = ["Always", "OnFailure", "Never"]
    static let dnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
    static let protocols = ["SCTP", "TCP", "UDP"]
    static let pullPolicies = ["Always", "IfNotPresent", "Never"]

    static func validate(_ spec: JSONValue?, at path: String) -> [FieldProblem] {
        guard let spec, spec.objectValue != nil else { return [.required(path)] }
        var problems: [FieldProblem] = []
        var names = Set<String>()
        let volumes = spec["volumes"]?.arrayValue ?? []
        var volumeNames = Set<String>()
        for (i, volume) in volumes.enumerated() {
            let name = volume["name"]?.stringValue ?? ""
            let field = "\(path).volumes[\(i)].name"
            if name.isEmpty {
                problems.append(.required(field))
            } else {
                problems += FieldProblem.each(field, name, NameValidation.dns1123Label)
                if !volumeNames.insert(name).inserted { problems.append(.duplicate(field, .string(name))) }
            }
        }
        let containers = spec["containers"]?.arrayValue ?? []
        if containers.isEmpty { problems.append(.required("\(path).containers")) }
        for (group, list) in [("initContainers", spec["initContainers"]?.arrayValue ?? []), ("containers", containers)] {
            for (i, container) in list.enumerated() {
                problems += validateContainer(container, at: "\(path).\(group)[\(i)]", names: &names, volumes: volumeNames)
            }
        }
        if let policy = spec["restartPolicy"]?.stringValue, !restartPolicies.contains(policy) {
            problems.append(.notSupported("\(path).restartPolicy", .string(policy), restartPolicies))
        }
        if let policy = spec["dnsPolicy"]?.stringValue, !dnsPolicies.contains(policy) {
            problems.append(.notSupported("\(path).dnsPolicy", .string(policy), dnsPolicies))
        }
        problems += PodDNSValidation.validate(spec, at: path)
        if let grace = spec["terminationGracePeriodSeconds"]?.intValue, grace < 0 {
            problems.append(.invalid("\(path).terminationGracePeriodSeconds", .int(grace), "must be greater than or equal to 0"))
        }
        if let deadline = spec["activeDeadlineSeconds"]?.intValue, deadline <= 0 {
            problems.append(.invalid("\(path).activeDeadlineSeconds", .int(deadline), "must be between 1 and 2147483647, inclusive"))
        }
        if let nodeName = spec["nodeName"]?.stringValue, !nodeName.isEmpty {
            problems += FieldProblem.each("\(path).nodeName", nodeName, NameValidation.dns1123Subdomain)
        }
        if let account = spec["serviceAccountName"]?.stringValue, !account.isEmpty {
            problems += FieldProblem.each("\(path).serviceAccountName", account, NameValidation.dns1123Subdomain)
        }
        for (key, value) in spec["nodeSelector"]?.objectValue ?? [:] {
            problems += FieldProblem.each("\(path).nodeSelector", key, NameValidation.qualifiedName)
            if let text = value.stringValue { problems += FieldProblem.each("\(path).nodeSelector", text, NameValidation.labelValue) }
        }
        return problems
    }

    static func validateContainer(_ container: JSONValue, at path: String, names: inout Set<String>, volumes: Set<String>) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        let name = container["name"]?.stringValue ?? ""
        if name.isEmpty {
            problems.append(.required("\(path).name"))
        } else {
            problems += FieldProblem.each("\(path).name", name, NameValidation.dns1123Label)
            if !names.insert(name).inserted { problems.append(.duplicate("\(path).name", .string(name))) }
        }
        let image = container["image"]?.stringValue ?? ""
        if image.trimmingCharacters(in: .whitespaces).isEmpty { problems.append(.required("\(path).image")) }
        if let policy = container["imagePullPolicy"]?.stringValue, !pullPolicies.contains(policy) {
            problems.append(.notSupported("\(path).imagePullPolicy", .string(policy), pullPolicies))
        }
        var portNames = Set<String>()
        for (i, port) in (container["ports"]?.arrayValue ?? []).enumerated() {
            let field = "\(path).ports[\(i)]"
            if let number = port["containerPort"]?.intValue {
                if number < 1 || number > 65535 {
                    problems.append(.invalid("\(field).containerPort", .int(number), "must be between 1 and 65535, inclusive"))
                }
            } else {
                problems.append(.required("\(field).containerPort"))
            }
            if let host = port["hostPort"]?.intValue, host != 0, host < 1 || host > 65535 {
                problems.append(.invalid("\(field).hostPort", .int(host), "must be between 1 and 65535, inclusive"))
            }
            if let proto = port["protocol"]?.stringValue, !protocols.contains(proto) {
                problems.append(.notSupported("\(field).protocol", .string(proto), protocols))
            }
            if let portName = port["name"]?.stringValue, !portName.isEmpty {
                if !portNames.insert(portName).inserted { problems.append(.duplicate("\(field).name", .string(portName))) }
            }
        }
        for kind in ["limits", "requests"] {
            for (resource, amount) in container["resources"]?[kind]?.objectValue ?? [:] {
                if let text = amount.stringValue, Quantity(text).isNegative {
                    problems.append(.invalid("\(path).resources.\(kind).\(resource)", amount, "must be greater than or equal to 0"))
                }
            }
        }
        for (i, env) in (container["env"]?.arrayValue ?? []).enumerated() where (env["name"]?.stringValue ?? "").isEmpty {
            problems.append(.required("\(path).env[\(i)].name"))
        }
        for (i, mount) in (container["volumeMounts"]?.arrayValue ?? []).enumerated() {
            let mountName = mount["name"]?.stringValue ?? ""
            if mountName.isEmpty {
                problems.append(.required("\(path).volumeMounts[\(i)].name"))
            } else if !volumes.contains(mountName) {
                problems.append(.notFound("\(path).volumeMounts[\(i)].name", .string(mountName)))
            }
            if (mount["mountPath"]?.stringValue ?? "").isEmpty { problems.append(.required("\(path).volumeMounts[\(i)].mountPath")) }
        }
        return problems
    }

    /// `ValidatePodUpdate`: a pod's spec is fixed once created, except images, the active deadline,
    /// added tolerations and scheduling gates being removed.
    static func validateUpdate(_ spec: JSONValue?, old: JSONValue?) -> [FieldProblem] {
        guard var mutable = spec, var oldMutable = old else { return [] }
        for group in ["containers", "initContainers"] {
            guard let list = mutable[group]?.arrayValue, let oldList = oldMutable[group]?.arrayValue, list.count == oldList.count else { continue }
            var copied = list
            for i in copied.indices { copied[i]["image"] = oldList[i]["image"] }
            mutable[group] = .array(copied)
        }
        mutable["activeDeadlineSeconds"] = nil
        oldMutable["activeDeadlineSeconds"] = nil
        mutable["tolerations"] = nil
        oldMutable["tolerations"] = nil
        mutable["schedulingGates"] = nil
        oldMutable["schedulingGates"] = nil
        // A scheduler binding sets nodeName through pods/binding; a plain update may not.
        if mutable == oldMutable { return [] }
        return [.forbidden("spec", "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)")]
    }
}
