public import SkiffAPI
/// The official OpenAPI documents compiled into the binary (see `Tools/embed-openapi.py`): nothing is
/// read or parsed at start-up; a definition is parsed from its byte range the first time it is needed.
public enum EmbeddedOpenAPI {
    /// The OpenAPI v2 document's bytes (minified JSON).
    public static var swaggerBytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: embeddedSwaggerText.utf8Start, count: embeddedSwaggerText.utf8CodeUnitCount)
    }

    /// Definition `name` (e.g. `io.k8s.api.core.v1.Pod`) parsed from the v2 document.
    public static func definition(named name: String) -> JSONValue? {
        guard let (offset, length) = embeddedDefinitionRanges[name] else { return nil }
        let bytes = swaggerBytes
        guard offset >= 0, offset + length <= bytes.count else { return nil }
        return try? JSONValue(parsing: UnsafeBufferPointer(rebasing: bytes[offset..<(offset + length)]))
    }

    /// The definition describing `gvk`.
    public static func definitionName(for gvk: GroupVersionKind) -> String? {
        embeddedKindDefinitions["\(gvk.group)/\(gvk.version)/\(gvk.kind)"]
    }

    /// Paths of the embedded v3 documents (`api/v1`, `apis/apps/v1`, …).
    public static var v3Paths: [String] { embeddedV3Documents.map(\.path) }

    /// The v3 document at `path`.
    public static func v3Document(_ path: String) -> UnsafeBufferPointer<UInt8>? {
        guard let text = embeddedV3Documents.first(where: { $0.path == path })?.text else { return nil }
        return UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    }

    /// A schema source over the embedded v2 document.
    public static let schemaSource: any SchemaSource = EmbeddedSchemaSource()
}

/// Definitions from the embedded v2 document, parsed on demand.
struct EmbeddedSchemaSource: SchemaSource {
    func definition(named name: String) -> JSONValue? { EmbeddedOpenAPI.definition(named: name) }
    func definitionName(for gvk: GroupVersionKind) -> String? { EmbeddedOpenAPI.definitionName(for: gvk) }
}
