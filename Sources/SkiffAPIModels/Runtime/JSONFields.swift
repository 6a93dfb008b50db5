import SkiffJSON

/// The members of one JSON object, read by a generated model's `init(json:)`; errors carry the member's name.
struct JSONFields {
    let members: JSONObject

    init(_ json: JSONValue) throws(ModelDecodingError) {
        guard case .object(let members) = json else { throw .typeMismatch(expected: "object", found: json) }
        self.members = members
    }

    /// The member `key`, or `nil` when it is missing or null.
    func optional<T: JSONValueConvertible>(_ key: String) throws(ModelDecodingError) -> T? {
        guard let value = members[key], !value.isNull else { return nil }
        do {
            return try T(json: value)
        } catch {
            throw error.prefixed(with: .field(key))
        }
    }

    /// The member `key`; a missing or null member takes the type's zero value when it has one.
    func required<T: JSONValueConvertible>(_ key: String) throws(ModelDecodingError) -> T {
        guard let value = members[key], !value.isNull else {
            guard let zero = T.valueForAbsentField else { throw ModelDecodingError.missingField.prefixed(with: .field(key)) }
            return zero
        }
        do {
            return try T(json: value)
        } catch {
            throw error.prefixed(with: .field(key))
        }
    }
}
