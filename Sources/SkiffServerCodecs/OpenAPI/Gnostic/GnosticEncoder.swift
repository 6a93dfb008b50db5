import SkiffAPI
/// Encodes an OpenAPI v2 (Swagger 2.0) JSON document as the protobuf message `openapi.v2.Document` of
/// google/gnostic-models, the body `/openapi/v2` serves for
/// `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf` (what kubectl ≤ 1.28 asks for).
///
/// The result matches kube-openapi's `ToProtoBinary` (gnostic's `ParseDocument`, then `proto.Marshal`):
/// vendor extensions and defaults as YAML text in `Any.yaml`, `$ref` in `_ref`, types in `TypeItem`.
public enum GnosticEncoder {
    /// The protobuf encoding of the Swagger 2.0 JSON document in `swagger`.
    ///
    /// Throws `GnosticEncodingError` when `swagger` is not JSON, not a JSON object, or holds a value of
    /// the wrong type where the schema of Swagger 2.0 expects another (a `description` that is a list).
    /// Members Swagger 2.0 does not define are skipped, as gnostic's proto has no place for them.
    public static func encode(swagger: UnsafeBufferPointer<UInt8>) throws(GnosticEncodingError) -> [UInt8] {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: swagger)
        } catch {
            throw GnosticEncodingError(.notJSON, "not JSON: \(error.message)")
        }
        guard case .object = document else {
            throw GnosticEncodingError(.notObject, "expected a JSON object, found \(document.typeName)")
        }
        // The protobuf form is a little smaller than the JSON; one reservation avoids regrowing.
        var wire = GnosticWireWriter(reservingCapacity: swagger.count)
        try GnosticDocumentWriter.writeBody(of: .document, from: document, into: &wire)
        return wire.bytes
    }
}
