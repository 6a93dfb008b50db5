public import SkiffJSON

// The three JSON-schema fields of a CRD that take one of two shapes. Indirect: each can hold a JSONSchemaProps,
// which holds them.

extension apiextensions.v1 {
    /// `items`: one schema for every element, or one schema per position.
    public indirect enum JSONSchemaPropsOrArray: Sendable, Equatable, JSONValueConvertible {
        case schema(JSONSchemaProps)
        case schemas([JSONSchemaProps])

        public init(json: JSONValue) throws(ModelDecodingError) {
            switch json {
            case .object: self = .schema(try JSONSchemaProps(json: json))
            case .array: self = .schemas(try [JSONSchemaProps](json: json))
            default: throw .typeMismatch(expected: "JSON schema or array of JSON schemas", found: json)
            }
        }

        public var json: JSONValue {
            switch self {
            case .schema(let schema): schema.json
            case .schemas(let schemas): schemas.json
            }
        }
    }

    /// `additionalProperties` and `additionalItems`: allowed or not, or a schema they must match.
    public indirect enum JSONSchemaPropsOrBool: Sendable, Equatable, JSONValueConvertible {
        case bool(Bool)
        case schema(JSONSchemaProps)

        public init(json: JSONValue) throws(ModelDecodingError) {
            switch json {
            case .bool(let allows): self = .bool(allows)
            case .object: self = .schema(try JSONSchemaProps(json: json))
            default: throw .typeMismatch(expected: "boolean or JSON schema", found: json)
            }
        }

        public var json: JSONValue {
            switch self {
            case .bool(let allows): .bool(allows)
            case .schema(let schema): schema.json
            }
        }
    }

    /// A `dependencies` entry: a schema the object must also match, or property names it must also have.
    public indirect enum JSONSchemaPropsOrStringArray: Sendable, Equatable, JSONValueConvertible {
        case schema(JSONSchemaProps)
        case strings([String])

        public init(json: JSONValue) throws(ModelDecodingError) {
            switch json {
            case .object: self = .schema(try JSONSchemaProps(json: json))
            case .array: self = .strings(try [String](json: json))
            default: throw .typeMismatch(expected: "JSON schema or array of strings", found: json)
            }
        }

        public var json: JSONValue {
            switch self {
            case .schema(let schema): schema.json
            case .strings(let strings): strings.json
            }
        }
    }
}
