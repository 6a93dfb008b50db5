import Foundation
import NIOCore
import NIOHTTP1
import SkiffAPI

/// One request for a resource, with what routing and authentication found out.
struct RESTRequest: Sendable {
    let http: HTTPRequest
    let info: RequestInfo
    let resource: ServedResource
    let user: UserInfo?
    let query: QueryParameters
    let verb: String

    var namespace: String? { resource.namespaced ? info.namespace : nil }
    var name: String? { info.name }
    var subresource: String? { info.subresource }

    /// `dryRun=All`; any other value is refused as upstream refuses it.
    func dryRun() throws(APIError) -> Bool {
        let values = query.all("dryRun")
        if values.isEmpty { return false }
        for value in values where value != "All" {
            throw .badRequest("Invalid dry run value: \"\(value)\", valid values are: [All]")
        }
        return true
    }

    /// `fieldValidation`: Strict, Warn (the default) or Ignore.
    func fieldValidation() throws(APIError) -> FieldValidation {
        switch query["fieldValidation"] {
        case nil, "", "Warn": return .warn
        case "Strict": return .strict
        case "Ignore": return .ignore
        case let other?:
            throw .badRequest("fieldValidation parameter unsupported: \(other). Valid values are: Ignore, Warn, Strict")
        }
    }

    /// The field manager for managedFields: `fieldManager`, or a name derived from the user agent as upstream does.
    func fieldManager() throws(APIError) -> String {
        if let manager = query["fieldManager"], !manager.isEmpty {
            guard manager.count <= 128 else {
                throw .badRequest("fieldManager: Too long: may not be more than 128 bytes")
            }
            return manager
        }
        let agent = http.header("User-Agent") ?? ""
        let prefix = agent.split(separator: "/").first.map(String.init) ?? ""
        return prefix.isEmpty ? "unknown" : String(prefix.prefix(128))
    }

    func output() throws(APIError) -> OutputFormat {
        try OutputFormat.negotiate(accept: http.header("Accept"), includeObject: query["includeObject"])
    }

    /// The integer value of a query parameter, with upstream's error for a bad one.
    func integer(_ name: String) throws(APIError) -> Int64? {
        guard let text = query[name], !text.isEmpty else { return nil }
        guard let value = Int64(text) else {
            throw .badRequest("strconv.ParseInt: parsing \"\(text)\": invalid syntax")
        }
        return value
    }

    /// A boolean query parameter, read as upstream reads it (`QueryParameters.flag`).
    func bool(_ name: String) -> Bool { query.flag(name) }
}

/// How unknown and duplicate fields in a request body are treated.
enum FieldValidation: Sendable {
    case strict, warn, ignore
}

/// A reply a handler built, written by the server.
struct RESTResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: ByteBuffer

    init(status: HTTPResponseStatus, contentType: String, body: ByteBuffer, warnings: [String] = []) {
        self.status = status
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Cache-Control", value: "no-cache, private")
        for warning in warnings { headers.add(name: "Warning", value: "299 - \(JSONValue.string(warning).jsonString)") }
        self.headers = headers
        self.body = body
    }
}
