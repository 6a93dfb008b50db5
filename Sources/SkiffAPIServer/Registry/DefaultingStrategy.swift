import SkiffAPI

/// A strategy made of a defaulting function plus the generic behaviour: used for the kinds whose
/// specialities are their defaults (workloads, services' siblings, config objects).
struct DefaultingStrategy: ResourceStrategy {
    var tracksGeneration: Bool = false
    var hasStatusSubresource: Bool = false
    var allowCreateOnUpdate: Bool = false
    var defaultPropagationPolicy: String = "Background"
    var defaults: @Sendable (inout JSONValue) -> Void = { _ in }

    func prepareForCreate(_ object: inout JSONValue, context: StrategyContext) {
        if hasStatusSubresource { object["status"] = nil }
        defaults(&object)
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue, context: StrategyContext) {
        if hasStatusSubresource { object["status"] = old["status"] }
        defaults(&object)
    }
}

extension JSONValue {
    /// Sets the value at `path` unless something is there already.
    mutating func setDefault(_ value: JSONValue, at path: [String]) {
        if self.value(at: path) == nil { setValue(value, at: path) }
    }
}
