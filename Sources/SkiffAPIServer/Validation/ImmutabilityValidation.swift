import SkiffAPI

/// Helpers for what an update may not change, in upstream's words (`ValidateXUpdate` in
/// `pkg/apis/*/validation`; each kind's rules are in its `Registry/Kinds` folder). Values print as Go's
/// `%#v` prints them where the message shows one.
enum ImmutabilityValidation {
    /// The workloads' `spec.selector` may not change (`ValidateDeploymentUpdate` and friends).
    static func selectorUnchanged(_ object: JSONValue, old: JSONValue) -> [FieldProblem] {
        guard let selector = object["spec"]?["selector"], let oldSelector = old["spec"]?["selector"], selector != oldSelector else { return [] }
        return [raw("spec.selector", labelSelector(selector), "field is immutable")]
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
