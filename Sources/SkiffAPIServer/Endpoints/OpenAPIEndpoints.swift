import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import SkiffAPI
import Synchronization

/// Where the OpenAPI documents come from (the embedded upstream documents in production).
protocol OpenAPIDocumentSource: Sendable {
    /// The OpenAPI v2 document as JSON.
    func swaggerJSON() -> [UInt8]
    /// The same document as gnostic protobuf (kubectl ≤ 1.28 asks for it).
    func swaggerProtobuf() throws -> [UInt8]
    /// The v3 group-version paths served (`api/v1`, `apis/apps/v1`).
    var v3Paths: [String] { get }
    /// The v3 document of one group-version.
    func v3Document(_ path: String) -> [UInt8]?
}

/// Serves `/openapi/v2` (JSON or protobuf) and `/openapi/v3` (index and per-group documents) with the
/// ETag and hash-addressed caching headers kubectl relies on. Encodings are computed on first use.
final class OpenAPIEndpoints: Sendable {
    static let protobufType = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
    static let protobufTypeAlternative = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

    let source: any OpenAPIDocumentSource
    /// Path → (bytes, hash); the v2 entries under "v2.json" / "v2.pb".
    let cache = Mutex<[String: (bytes: [UInt8], hash: String)]>([:])

    init(source: any OpenAPIDocumentSource) {
        self.source = source
    }

    /// Uppercase hex SHA-512 of the bytes, as upstream's `?hash=` and ETags use.
    static func hash(_ bytes: [UInt8]) -> String {
        SHA512.hash(data: bytes).map { String(format: "%02X", $0) }.joined()
    }

    private func cached(_ key: String, _ make: () throws -> [UInt8]?) rethrows -> (bytes: [UInt8], hash: String)? {
        if let hit = cache.withLock({ $0[key] }) { return hit }
        guard let bytes = try make() else { return nil }
        let entry = (bytes: bytes, hash: Self.hash(bytes))
        cache.withLock { $0[key] = entry }
        return entry
    }

    func respond(_ request: HTTPRequest, path: String) throws -> RESTResponse {
        if path == "/openapi/v2" { return try v2(request) }
        if path == "/openapi/v3" { return v3Index() }
        if path.hasPrefix("/openapi/v3/") {
            let groupPath = String(path.dropFirst("/openapi/v3/".count))
            guard let doc = cached("v3:" + groupPath, { source.v3Document(groupPath) }) else {
                return notFound()
            }
            var response = RESTResponse(status: .ok, contentType: "application/json",
                                        body: ByteBufferAllocator().buffer(bytes: doc.bytes))
            response.headers.replaceOrAdd(name: "ETag", value: "\"\(doc.hash)\"")
            if let requested = request.query["hash"], requested == doc.hash {
                response.headers.replaceOrAdd(name: "Cache-Control", value: "public, immutable")
                response.headers.replaceOrAdd(name: "Expires", value: "Wed, 25 Nov 2126 00:00:00 GMT")
            } else if let requested = request.query["hash"], !requested.isEmpty {
                // A stale hash: send the client to the current document.
                var redirect = RESTResponse(status: .movedPermanently, contentType: "text/plain", body: ByteBufferAllocator().buffer(capacity: 0))
                redirect.headers.replaceOrAdd(name: "Location", value: "/openapi/v3/\(groupPath)?hash=\(doc.hash)")
                return redirect
            }
            if request.header("If-None-Match") == "\"\(doc.hash)\"" { return notModified(hash: doc.hash) }
            return response
        }
        return notFound()
    }

    func v2(_ request: HTTPRequest) throws -> RESTResponse {
        let accept = MediaType.parseList(request.header("Accept")).map(\.essence)
        let wantsProtobuf = accept.first { $0 == Self.protobufType || $0 == Self.protobufTypeAlternative } != nil
            && accept.first(where: { $0 == "application/json" }) == nil
        let entry: (bytes: [UInt8], hash: String)?
        let contentType: String
        if wantsProtobuf {
            entry = try cached("v2.pb") { try source.swaggerProtobuf() }
            // Answered in the dotted form whichever was asked: Go's mime parser refuses the '@' one.
            contentType = Self.protobufTypeAlternative
        } else {
            entry = cached("v2.json") { source.swaggerJSON() }
            contentType = "application/json"
        }
        guard let entry else { return notFound() }
        if request.header("If-None-Match") == "\"\(entry.hash)\"" { return notModified(hash: entry.hash) }
        var response = RESTResponse(status: .ok, contentType: contentType, body: ByteBufferAllocator().buffer(bytes: entry.bytes))
        response.headers.replaceOrAdd(name: "ETag", value: "\"\(entry.hash)\"")
        response.headers.replaceOrAdd(name: "Vary", value: "Accept")
        return response
    }

    func v3Index() -> RESTResponse {
        var paths = JSONObject()
        for path in source.v3Paths {
            let hash = cached("v3:" + path) { source.v3Document(path) }?.hash ?? ""
            paths[path] = ["serverRelativeURL": .string("/openapi/v3/\(path)?hash=\(hash)")]
        }
        let body: JSONValue = ["paths": .object(paths)]
        return RESTResponse(status: .ok, contentType: "application/json", body: ByteBufferAllocator().buffer(bytes: body.serialized()))
    }

    func notModified(hash: String) -> RESTResponse {
        var response = RESTResponse(status: .notModified, contentType: "application/json", body: ByteBufferAllocator().buffer(capacity: 0))
        response.headers.replaceOrAdd(name: "ETag", value: "\"\(hash)\"")
        return response
    }

    func notFound() -> RESTResponse {
        RESTResponse(status: .notFound, contentType: "text/plain; charset=utf-8", body: ByteBufferAllocator().buffer(string: "404 page not found\n"))
    }
}
