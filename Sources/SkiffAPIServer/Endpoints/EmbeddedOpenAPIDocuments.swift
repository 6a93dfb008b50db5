import SkiffServerCodecs
import SkiffAPI

/// The official OpenAPI documents compiled into the binary, served as they are.
struct EmbeddedOpenAPIDocuments: OpenAPIDocumentSource {
    func swaggerJSON() -> [UInt8] { Array(EmbeddedOpenAPI.swaggerBytes) }

    func swaggerProtobuf() throws -> [UInt8] {
        try GnosticEncoder.encode(swagger: EmbeddedOpenAPI.swaggerBytes)
    }

    var v3Paths: [String] { EmbeddedOpenAPI.v3Paths }

    func v3Document(_ path: String) -> [UInt8]? { EmbeddedOpenAPI.v3Document(path).map { Array($0) } }
}
