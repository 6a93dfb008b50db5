import SkiffAPI

/// What an update may not change, kind by kind, in upstream's words (`ValidateXUpdate` in
/// `pkg/apis/*/validation`). Values print as Go's `%#v` prints them where the message shows one.
enum ImmutabilityValidation {
    static func problems(_ object: JSONValue, old: JSONValue, group: String, resource: String) -> [FieldProblem] {
        let spec = object["spec"] ?? [:], oldSpec = old["spec"] ?? [:]
        var problems: [FieldProblem] = []
        switch (group, resource) {
        case ("apps", "deployments"), ("apps", "replicasets"), ("apps", "daemonsets"), ("apps", "statefulsets"),
             ("batch", "jobs"):
            if let selector = spec["selector"], let oldSelector = oldSpec["selector"], selector != oldSelector {
                problems.append(raw("spec.selector", labelSelector(selector), "field is immutable"))
            }
        default:
            break
        }
        switch (group, resource) {
        case ("apps", "statefulsets"):
            var mutable = spec, oldMutable = oldSpec
            for field in ["replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                          "minReadySeconds", "selector"] {
                mutable[field] = nil
                oldMutable[field] = nil
            }
            if mutable != oldMutable {
                problems.append(.forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"))
            }
        case ("batch", "jobs"):
            let indexed = spec["completionMode"]?.stringValue == "Indexed"
            if !indexed, spec["completions"] != oldSpec["completions"] {
                problems.append(.invalid("spec.completions", spec["completions"], "field is immutable"))
            }
            for field in ["completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy", "successPolicy"]
            where spec[field] != oldSpec[field] {
                problems.append(.invalid("spec.\(field)", spec[field], "field is immutable"))
            }
            // A suspended Job that never ran may still be given other scheduling directives (upstream's
            // AllowMutableSchedulingDirectives); otherwise its template is fixed.
            let neverStarted = oldSpec["suspend"]?.boolValue == true && old["status"]?["startTime"] == nil
            if !neverStarted, spec["template"] != oldSpec["template"] {
                problems.append(raw("spec.template", "core.PodTemplateSpec\(spec["template"]?.jsonString ?? "{}")", "field is immutable"))
            }
        case ("", "persistentvolumeclaims"):
            var mutable = spec, oldMutable = oldSpec
            let bound = old["status"]?["phase"]?.stringValue == "Bound"
            if (oldSpec["volumeName"]?.stringValue ?? "").isEmpty { mutable["volumeName"] = nil; oldMutable["volumeName"] = nil }
            if bound {
                mutable.setValue(nil, at: ["resources", "requests"])
                oldMutable.setValue(nil, at: ["resources", "requests"])
                mutable["volumeAttributesClassName"] = nil
                oldMutable["volumeAttributesClassName"] = nil
            }
            if spec["storageClassName"] != nil, oldSpec["storageClassName"] == nil {
                mutable["storageClassName"] = nil
                oldMutable["storageClassName"] = nil
            }
            if mutable != oldMutable {
                problems.append(.forbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"))
            }
        case ("", "persistentvolumes"):
            let nonSource: Set = ["capacity", "accessModes", "claimRef", "persistentVolumeReclaimPolicy", "storageClassName",
                                  "mountOptions", "volumeMode", "nodeAffinity", "volumeAttributesClassName"]
            let source = { (s: JSONValue) in s.objectValue?.storage.filter { !nonSource.contains($0.key) } }
            if source(spec) != source(oldSpec) {
                problems.append(.forbidden("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation"))
            }
            if let mode = spec["volumeMode"], mode != oldSpec["volumeMode"] {
                problems.append(.invalid("volumeMode", mode, "field is immutable"))
            }
        case ("", "nodes"):
            let cidrs = spec["podCIDRs"]?.arrayValue ?? [], oldCIDRs = oldSpec["podCIDRs"]?.arrayValue ?? []
            if !oldCIDRs.isEmpty, cidrs != oldCIDRs {
                problems.append(.forbidden("spec.podCIDRs", "node updates may not change podCIDR except from \"\" to valid"))
            }
            let provider = oldSpec["providerID"]?.stringValue ?? ""
            if !provider.isEmpty, spec["providerID"]?.stringValue != provider {
                problems.append(.forbidden("spec.providerID", "node updates may not change providerID except from \"\" to valid"))
            }
        case ("rbac.authorization.k8s.io", "rolebindings"), ("rbac.authorization.k8s.io", "clusterrolebindings"):
            if let roleRef = object["roleRef"], roleRef != old["roleRef"] {
                let text = "rbac.RoleRef{APIGroup:\(quoted(roleRef["apiGroup"])), Kind:\(quoted(roleRef["kind"])), Name:\(quoted(roleRef["name"]))}"
                problems.append(raw("roleRef", text, "cannot change roleRef"))
            }
        default:
            break
        }
        return problems
    }

    /// An Invalid problem whose value is already printed (Go's `%#v` of a struct).
    static func raw(_ field: String, _ shown: String, _ detail: String) -> FieldProblem {
        FieldProblem(field: field, reason: "FieldValueInvalid", message: "Invalid value: \(shown): \(detail)")
    }

    static func quoted(_ value: JSONValue?) -> String { JSONValue.string(value?.stringValue ?? "").jsonString }

    /// `v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}`.
    static func labelSelector(_ selector: JSONValue) -> String {
        let labels = (selector["matchLabels"]?.objectValue?.storage ?? [:]).sorted { $0.key < $1.key }
        let labelText = labels.isEmpty ? "map[string]string(nil)"
            : "map[string]string{" + labels.map { "\(JSONValue.string($0.key).jsonString):\(quoted($0.value))" }.joined(separator: ", ") + "}"
        let expressions = selector["matchExpressions"]?.arrayValue ?? []
        let expressionText = expressions.isEmpty ? "[]v1.LabelSelectorRequirement(nil)"
            : "[]v1.LabelSelectorRequirement{" + expressions.map { requirement in
                let values = requirement["values"]?.arrayValue ?? []
                let valueText = values.isEmpty ? "[]string(nil)" : "[]string{" + values.map(quoted).joined(separator: ", ") + "}"
                return "v1.LabelSelectorRequirement{Key:\(quoted(requirement["key"])), Operator:\(quoted(requirement["operator"])), Values:\(valueText)}"
            }.joined(separator: ", ") + "}"
        return "v1.LabelSelector{MatchLabels:\(labelText), MatchExpressions:\(expressionText)}"
    }
}
