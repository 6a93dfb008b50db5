import SkiffAPI

/// `ValidateObjectMeta` and `ValidateObjectMetaUpdate`: names by the kind's rule, labels, annotations,
/// finalizers and owner references, and the metadata an update may not change.
enum ObjectMetaValidation {
    /// How a kind's names are checked (upstream's `ValidateNameFunc` per kind).
    enum NameRule {
        case subdomain, label, dns1035, pathSegment

        func problems(_ name: String, prefix: Bool) -> [String] {
            // A generateName prefix may end in '-' (a suffix follows it).
            let value = prefix && name.hasSuffix("-") ? String(name.dropLast()) + "a" : name
            switch self {
            case .subdomain: return NameValidation.dns1123Subdomain(value)
            case .label: return NameValidation.dns1123Label(value)
            case .dns1035: return NameValidation.dns1035Label(value)
            case .pathSegment: return NameValidation.pathSegmentName(name, prefix: prefix)
            }
        }
    }

    static let annotationsSizeLimit = 256 * 1024

    static func validateCreate(_ object: JSONValue, resource: ServedResource) -> [FieldProblem] {
        let metadata = object["metadata"] ?? [:]
        var problems: [FieldProblem] = []
        let rule = resource.definition.nameRule
        let name = metadata["name"]?.stringValue ?? ""
        let generateName = metadata["generateName"]?.stringValue ?? ""
        if !generateName.isEmpty {
            problems += FieldProblem.each("metadata.generateName", generateName) { rule.problems($0, prefix: true) }
        }
        if name.isEmpty {
            if generateName.isEmpty { problems.append(.required("metadata.name", "name or generateName is required")) }
        } else {
            problems += FieldProblem.each("metadata.name", name) { rule.problems($0, prefix: false) }
        }
        if resource.namespaced {
            if (metadata["namespace"]?.stringValue ?? "").isEmpty { problems.append(.required("metadata.namespace")) }
        } else if let namespace = metadata["namespace"]?.stringValue, !namespace.isEmpty {
            problems.append(.forbidden("metadata.namespace", "not allowed on this type"))
        }
        problems += common(metadata)
        return problems
    }

    static func validateUpdate(_ object: JSONValue, old: JSONValue, resource: ServedResource) -> [FieldProblem] {
        let metadata = object["metadata"] ?? [:]
        let oldMetadata = old["metadata"] ?? [:]
        var problems: [FieldProblem] = []
        for field in ["name", "namespace", "uid", "creationTimestamp"] where (metadata[field] ?? .null) != (oldMetadata[field] ?? .null) {
            problems.append(.invalid("metadata.\(field)", metadata[field], "field is immutable"))
        }
        if let deletion = oldMetadata["deletionTimestamp"], metadata["deletionTimestamp"] != deletion {
            problems.append(.invalid("metadata.deletionTimestamp", metadata["deletionTimestamp"], "field is immutable; may only be changed via deletion"))
        }
        if let generation = metadata["generation"]?.intValue, let oldGeneration = oldMetadata["generation"]?.intValue,
           generation < oldGeneration {
            problems.append(.invalid("metadata.generation", .int(generation), "must not be decremented"))
        }
        problems += common(metadata)
        return problems
    }

    /// The checks shared by create and update.
    static func common(_ metadata: JSONValue) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if let labels = metadata["labels"]?.objectValue {
            for (key, value) in labels {
                problems += FieldProblem.each("metadata.labels", key, NameValidation.qualifiedName)
                if let text = value.stringValue {
                    problems += FieldProblem.each("metadata.labels", text, NameValidation.labelValue)
                }
            }
        }
        if let annotations = metadata["annotations"]?.objectValue {
            var size = 0
            for (key, value) in annotations {
                problems += FieldProblem.each("metadata.annotations", key.lowercased(), NameValidation.qualifiedName)
                size += key.utf8.count + (value.stringValue?.utf8.count ?? 0)
            }
            if size > annotationsSizeLimit { problems.append(.tooLong("metadata.annotations", limit: annotationsSizeLimit)) }
        }
        if let finalizers = metadata["finalizers"]?.arrayValue {
            for (i, finalizer) in finalizers.enumerated() {
                guard let text = finalizer.stringValue else { continue }
                problems += FieldProblem.each("metadata.finalizers[\(i)]", text, NameValidation.qualifiedName)
            }
        }
        if let owners = metadata["ownerReferences"]?.arrayValue {
            var controllers = 0
            for (i, owner) in owners.enumerated() {
                let path = "metadata.ownerReferences[\(i)]"
                if (owner["apiVersion"]?.stringValue ?? "").isEmpty { problems.append(.invalid(path + ".apiVersion", owner["apiVersion"], "version must not be empty")) }
                if (owner["kind"]?.stringValue ?? "").isEmpty { problems.append(.invalid(path + ".kind", owner["kind"], "kind must not be empty")) }
                if (owner["name"]?.stringValue ?? "").isEmpty { problems.append(.invalid(path + ".name", owner["name"], "name must not be empty")) }
                if (owner["uid"]?.stringValue ?? "").isEmpty { problems.append(.invalid(path + ".uid", owner["uid"], "uid must not be empty")) }
                if owner["controller"]?.boolValue == true { controllers += 1 }
            }
            if controllers > 1 {
                problems.append(.invalid("metadata.ownerReferences", metadata["ownerReferences"], "Only one reference can have Controller set to true"))
            }
        }
        return problems
    }
}
