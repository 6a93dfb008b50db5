import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SkiffAPI
import SkiffStorage

/// Serves the REST verbs of stored resources: reads from the watch cache, writes to the store.
struct RESTHandler: Sendable {
    let store: any Store
    let hub: WatchCacheHub
    let registry: ResourceRegistry
    let admission: AdmissionChain
    let logger: Logger
    let clock: @Sendable () -> Date
    /// Reaches kubelets for logs, exec, attach and port-forward (nil: this server cannot).
    var kubelets: KubeletClient? = nil
    let managedFields = ManagedFieldsRecorder()

    /// Runs one resource request and returns its response (watch writes its own streaming response).
    func handle(_ request: RESTRequest, writer: HTTPResponseWriter) async throws -> RESTResponse? {
        switch (request.verb, request.subresource) {
        case ("get", nil): return try await get(request)
        case ("list", nil): return try await list(request)
        case ("watch", nil):
            try await watch(request, writer: writer)
            return nil
        case ("create", nil): return try await create(request)
        case ("update", nil): return try await update(request)
        case ("patch", nil): return try await patch(request)
        case ("delete", nil): return try await delete(request)
        case ("deletecollection", nil): return try await deleteCollection(request)
        case (_, "proxy"?) where request.resource.group == ""
            && ["pods", "nodes", "services"].contains(request.resource.resource):
            try await proxy(request, writer: writer)
            return nil
        case (_, let sub?) where request.resource.resource == "pods" && request.resource.group == ""
            && Self.podConnectSubresources.contains(sub):
            try await podConnect(sub, request, writer: writer)
            return nil
        case (_, let sub?):
            return try await subresource(sub, request)
        default:
            throw APIError.methodNotSupported(group: request.resource.group, resource: request.resource.resource,
                                              verb: request.verb)
        }
    }

    func requireVerb(_ request: RESTRequest) throws(APIError) {
        let verb = request.verb
        guard request.resource.info.verbs.contains(verb) else {
            throw .methodNotSupported(group: request.resource.group, resource: request.resource.resource, verb: verb)
        }
    }

    // MARK: - get

    func get(_ request: RESTRequest) async throws -> RESTResponse {
        try requireVerb(request)
        let resource = request.resource
        guard let name = request.name else { throw APIError.badRequest("name is required") }
        let format = try request.output()
        let object = try await readCurrent(resource, namespace: request.namespace, name: name,
                                           resourceVersion: request.query["resourceVersion"])
        guard let object else { throw resource.notFound(name) }
        let encoder = ResponseEncoder(resource: resource, format: format, now: clock())
        return RESTResponse(status: .ok, contentType: encoder.contentType,
                            body: try encoder.object(object.json, allocator: ByteBufferAllocator()))
    }

    /// The object from the cache, after waiting until the cache has caught up with the request's consistency
    /// needs: "" is a consistent read, "0" any cached version, N at least N.
    func readCurrent(_ resource: ServedResource, namespace: String?, name: String, resourceVersion: String?) async throws
        -> CachedObject?
    {
        switch resourceVersion {
        case nil, "":
            try await hub.waitUntilFresh()
        case "0":
            break
        case let rv?:
            try await hub.waitUntil(revision: try ListOptions.revision(rv))
        }
        return resource.cache.get(namespace: namespace ?? "", name: name)
    }

    // MARK: - list

    func list(_ request: RESTRequest) async throws -> RESTResponse {
        try requireVerb(request)
        let resource = request.resource
        let format = try request.output()
        try ListOptions.validate(request, watch: false)
        let filter = try Selectors.filter(for: request)
        let limit = try request.integer("limit") ?? 0
        let resourceVersion = request.query["resourceVersion"]
        let match = request.query["resourceVersionMatch"]
        // A list with a limit (or Exact) goes to storage upstream, which words a bad resourceVersion as a 400.
        if let rv = resourceVersion, !rv.isEmpty, UInt64(rv) == nil, limit > 0 || match == "Exact" {
            throw APIError.badRequest("invalid resource version: \(ListOptions.parseError(rv))")
        }
        let encoder = ResponseEncoder(resource: resource, format: format, now: clock())

        if let token = request.query["continue"], !token.isEmpty {
            guard resourceVersion == nil || resourceVersion == "" else {
                throw APIError.badRequest("specifying resource version is not allowed when using continue")
            }
            let page = try await continuedPage(resource, token: token, filter: filter, limit: limit, namespace: request.namespace)
            return RESTResponse(status: .ok, contentType: encoder.contentType,
                                body: try encoder.list(page.objects, metadata: page.metadata, allocator: ByteBufferAllocator()))
        }

        if match == "Exact" {
            guard let rv = resourceVersion, let revision = Int64(rv), revision > 0 else {
                throw APIError.badRequest("resourceVersionMatch \"Exact\" is forbidden for resourceVersion \"\(resourceVersion ?? "")\"")
            }
            let page = try await storePage(resource, namespace: request.namespace, startAfter: nil, revision: revision,
                                           filter: filter, limit: limit)
            return RESTResponse(status: .ok, contentType: encoder.contentType,
                                body: try encoder.list(page.objects, metadata: page.metadata, allocator: ByteBufferAllocator()))
        }

        switch resourceVersion {
        case nil, "": try await hub.waitUntilFresh()
        case "0": break
        case let rv?:
            try await hub.waitUntil(revision: try ListOptions.revision(rv))
        }
        let hubRevision = hub.revision
        let (all, revision) = resource.cache.list(namespace: request.namespace ?? filter.namespace, atLeast: hubRevision)
        var matching: [CachedObject] = []
        var more = false
        // resourceVersion=0 ignores limit, as upstream serves the whole cache then.
        let effectiveLimit = resourceVersion == "0" ? 0 : limit
        for object in all where filter.matches(object) {
            if effectiveLimit > 0 && matching.count == Int(effectiveLimit) {
                more = true
                break
            }
            matching.append(object)
        }
        var metadata: JSONObject = ["resourceVersion": .string(String(revision))]
        if more, let last = matching.last {
            metadata["continue"] = .string(ContinueToken(revision: revision, startAfter: last.key).encoded)
            if filter.isEverything {
                let remaining = all.count - matching.count
                metadata["remainingItemCount"] = .int(Int64(remaining))
            }
        }
        return RESTResponse(status: .ok, contentType: encoder.contentType,
                            body: try encoder.list(matching, metadata: metadata, allocator: ByteBufferAllocator()))
    }

    struct Page {
        var objects: [CachedObject]
        var metadata: JSONObject
    }

    func continuedPage(_ resource: ServedResource, token: String, filter: WatchFilter, limit: Int64, namespace: String?)
        async throws -> Page
    {
        let decoded = try ContinueToken(decoding: token, prefix: resource.prefix(namespace: nil))
        return try await storePage(resource, namespace: namespace, startAfter: decoded.startAfter, revision: decoded.revision,
                                   filter: filter, limit: limit)
    }

    /// A page read from the store at a fixed revision (continuations and exact reads).
    func storePage(_ resource: ServedResource, namespace: String?, startAfter: String?, revision: Int64,
                   filter: WatchFilter, limit: Int64) async throws -> Page
    {
        var result: [CachedObject] = []
        var cursor = startAfter
        var more = false
        let prefix = resource.prefix(namespace: namespace)
        do {
            pages: while true {
                let batch = try await store.list(prefix: prefix, startAfter: cursor, limit: limit > 0 ? Int(limit) + 1 : 0,
                                                 revision: revision)
                for value in batch.values {
                    let object = try CachedObject(stored: value, fieldsOf: resource.fields)
                    guard filter.matches(object) else { continue }
                    if limit > 0 && result.count == Int(limit) {
                        more = true
                        break pages
                    }
                    result.append(object)
                }
                guard batch.hasMore, let last = batch.values.last else { break }
                cursor = last.key
            }
        } catch let error as StoreError where error.isCompacted {
            throw APIError.expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.")
        }
        var metadata: JSONObject = ["resourceVersion": .string(String(revision))]
        if more, let last = result.last {
            metadata["continue"] = .string(ContinueToken(revision: revision, startAfter: last.key).encoded)
        }
        return Page(objects: result, metadata: metadata)
    }
}

/// The opaque `continue` token of a paged list: base64 of `{"v":"meta.k8s.io/v1","rv":N,"start":"key"}`.
struct ContinueToken {
    var revision: Int64
    /// The storage key after which the next page starts.
    var startAfter: String

    init(revision: Int64, startAfter: String) {
        self.revision = revision
        self.startAfter = startAfter
    }

    init(decoding token: String, prefix: String) throws(APIError) {
        // URL-safe base64 without padding, as upstream's RawURLEncoding writes it.
        let standard = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard let data = Data(base64Encoded: standard.padded()),
              let json = try? JSONValue(parsing: Array(data)),
              json["v"]?.stringValue == "meta.k8s.io/v1",
              let rv = json["rv"]?.intValue, rv > 0,
              let start = json["start"]?.stringValue,
              start.hasPrefix(prefix)
        else {
            throw .badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        }
        revision = rv
        startAfter = start
    }

    var encoded: String {
        let json: JSONValue = ["v": "meta.k8s.io/v1", "rv": .int(revision), "start": .string(startAfter)]
        return Data(json.serialized()).base64EncodedString()
            .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
    }
}

extension String {
    fileprivate func padded() -> String {
        let remainder = count % 4
        return remainder == 0 ? self : self + String(repeating: "=", count: 4 - remainder)
    }
}
