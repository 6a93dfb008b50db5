import SkiffServerCodecs
import NIOCore
import SkiffAPI

/// Reads a request body into a JSON object of the resource's kind: content type, syntax, apiVersion
/// and kind (filled in from the URL when missing, as upstream's decoder defaults them), then the
/// schema check (unknown fields per `fieldValidation`, type mismatches as Go's decoder words them).
struct RequestBody {
    var object: JSONValue
    var warnings: [String]

    init(_ request: RESTRequest, validation: FieldValidation, expectedKind: GroupVersionKind? = nil) throws(APIError) {
        let resource = request.resource
        let gvk = expectedKind ?? resource.info.groupVersionKind
        var value: JSONValue
        var duplicates: [String]
        do {
            (value, duplicates) = try Self.parseReportingDuplicates(request.http, defaultKind: gvk)
        } catch where error.message.hasPrefix("couldn't get version/kind") {
            throw Self.unrecognized(error.message, kind: gvk.kind, body: request.http)
        }
        guard case .object = value else {
            throw Self.unrecognized("couldn't get version/kind; json parse error: json: cannot unmarshal \(value.goTypeName) into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }", kind: gvk.kind, body: request.http)
        }
        if let apiVersion = value["apiVersion"]?.stringValue, !apiVersion.isEmpty {
            let given = GroupVersionKind(apiVersion: apiVersion, kind: value["kind"]?.stringValue ?? gvk.kind)
            if given.group != gvk.group || given.version != gvk.version {
                throw .badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (\(gvk.apiVersion))")
            }
        } else {
            value["apiVersion"] = .string(gvk.apiVersion)
        }
        if let kind = value["kind"]?.stringValue, !kind.isEmpty {
            if kind != gvk.kind {
                // Upstream decodes the body as its own kind, then fails to convert it to the resource's.
                let given = GroupVersionKind(apiVersion: value["apiVersion"]?.stringValue ?? gvk.apiVersion, kind: kind)
                let internalPackage = gvk.group.isEmpty ? "core" : String(gvk.group.split(separator: ".").first ?? "core")
                throw .badRequest("\(kind) in version \"\(given.version)\" cannot be handled as a \(gvk.kind): converting (\(given.version).\(kind)) to (\(internalPackage).\(gvk.kind)): unknown conversion")
            }
        } else {
            value["kind"] = .string(gvk.kind)
        }
        var warnings: [String] = []
        if let schema = resource.schemas.schema(for: gvk) {
            let result = SchemaChecker.check(&value, schema: schema)
            if let typeError = result.typeErrors.first {
                throw .badRequest("\(gvk.kind) in version \"\(gvk.version)\" cannot be handled as a \(gvk.kind): \(typeError)")
            }
            let problems = duplicates.map { "duplicate field \"\($0)\"" } + result.unknownFields.map { "unknown field \"\($0)\"" }
            if !problems.isEmpty {
                switch validation {
                case .strict:
                    let kind = value["kind"]?.stringValue ?? gvk.kind
                    throw .badRequest("\(kind) in version \"\(gvk.version)\" cannot be handled as a \(gvk.kind): strict decoding error: "
                                      + problems.joined(separator: ", "))
                case .warn:
                    warnings = problems
                case .ignore:
                    break
                }
            }
        }
        object = value
        self.warnings = warnings
    }

    /// Upstream's decode error for a body whose kind could not be read (`transformDecodeError`).
    static func unrecognized(_ detail: String, kind: String, body request: HTTPRequest) -> APIError {
        .badRequest("the object provided is unrecognized (must be of type \(kind)): \(detail) (\(summary(request.body)))")
    }

    /// apimachinery's `summarizeData(data, 30)`: JSON-looking text as is, anything else in hex.
    static func summary(_ body: ByteBuffer) -> String {
        let bytes = Array(body.readableBytesView)
        guard let first = bytes.first else { return "<empty>" }
        let head = bytes.prefix(30)
        let more = bytes.count > 30 ? " ..." : ""
        if first == UInt8(ascii: "{") { return String(decoding: head, as: UTF8.self) + more }
        return head.map { String(format: "%02x", $0) }.joined() + more
    }

    /// Parses a body as JSON, YAML or Kubernetes protobuf according to its Content-Type; protobuf
    /// bodies without apiVersion/kind in their envelope take `defaultKind`'s.
    static func parse(_ request: HTTPRequest, defaultKind: GroupVersionKind? = nil) throws(APIError) -> JSONValue {
        try parseReportingDuplicates(request, defaultKind: defaultKind).0
    }

    /// `parse`, naming the fields a JSON body sets twice in one object (for `fieldValidation`).
    static func parseReportingDuplicates(_ request: HTTPRequest, defaultKind: GroupVersionKind? = nil) throws(APIError)
        -> (JSONValue, [String])
    {
        let contentType = request.header("Content-Type").flatMap { MediaType(parsing: $0[...]) }
        var body = request.body
        let bytes = body.readBytes(length: body.readableBytes) ?? []
        if let contentType, contentType.isProtobuf {
            do {
                return (try KubernetesProtobuf.decode(bytes, defaultAPIVersion: defaultKind?.apiVersion, defaultKind: defaultKind?.kind), [])
            } catch {
                throw error.apiError
            }
        }
        if let contentType, !(contentType.isJSON || contentType.isYAML || contentType.essence == "application/apply-patch+yaml") {
            throw .unsupportedMediaType("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf")
        }
        if bytes.isEmpty { throw .badRequest("Object 'Kind' is missing in ''") }
        if let contentType, contentType.isYAML || contentType.essence == "application/apply-patch+yaml" {
            return (try parseYAML(bytes), [])
        }
        do {
            return try JSONValue.parsingReportingDuplicates(bytes)
        } catch {
            throw .badRequest("couldn't get version/kind; json parse error: \(error.message)")
        }
    }

    static func parseYAML(_ bytes: [UInt8]) throws(APIError) -> JSONValue {
        // JSON is YAML too; parse it as JSON first (faster, exact numbers).
        if let json = try? JSONValue(parsing: bytes) { return json }
        do {
            return try JSONValue(yaml: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw .badRequest(error.message)
        }
    }
}

extension JSONValue {
    /// The name Go's encoding/json gives this value's JSON type in unmarshal errors.
    var goTypeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
