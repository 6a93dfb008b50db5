import SkiffJSON

/// A heap box that lets a model contain itself (`JSONSchemaProps.not`); a struct cannot hold its own type inline.
/// Immutable, so copies of the containing struct share it safely; setting the property replaces the box.
final class Indirect<Value: JSONValueConvertible & Equatable>: JSONValueConvertible, Equatable {
    let value: Value

    init(_ value: Value) { self.value = value }

    init(json: JSONValue) throws(ModelDecodingError) { value = try Value(json: json) }

    var json: JSONValue { value.json }

    static func == (lhs: Indirect, rhs: Indirect) -> Bool { lhs === rhs || lhs.value == rhs.value }
}
