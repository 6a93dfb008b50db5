import Foundation
import NIOCore
import NIOHTTP1
import SkiffAPI
import SkiffStorage

/// `DeleteOptions` from the body or the query.
struct DeleteOptions {
    var gracePeriodSeconds: Int64?
    /// Orphan, Background or Foreground.
    var propagationPolicy: String?
    var preconditionUID: String?
    var preconditionResourceVersion: String?
    var dryRun: Bool

    init(_ request: RESTRequest) throws(APIError) {
        var body: JSONValue = [:]
        if request.http.body.readableBytes > 0 {
            body = try RequestBody.parse(request.http)
            try Self.check(body)
        }
        try self.init(body: body, request: request)
    }

    /// A DELETE body must be DeleteOptions with fields of the right types, or nothing is deleted. Upstream 1.32
    /// answers these with a 500; 1.35 made them the 400 a client's mistake is, with the same words.
    static func check(_ body: JSONValue) throws(APIError) {
        guard case .object(let fields) = body else {
            throw .badRequest("json: cannot unmarshal \(body.goTypeName) into Go value of type v1.DeleteOptions")
        }
        if let kind = fields["kind"]?.stringValue, !kind.isEmpty, kind != "DeleteOptions" {
            let version = fields["apiVersion"]?.stringValue ?? ""
            throw .badRequest("no kind \"\(kind)\" is registered for version \"\(version)\" in scheme \"k8s.io/apimachinery/pkg/apis/meta/internalversion/scheme/register.go:27\"")
        }
        func expect(_ value: JSONValue?, _ field: String, _ goType: String, _ matches: (JSONValue) -> Bool) throws(APIError) {
            guard let value, value != .null, !matches(value) else { return }
            throw .badRequest("json: cannot unmarshal \(value.goTypeName) into Go struct field DeleteOptions.\(field) of type \(goType)")
        }
        try expect(fields["gracePeriodSeconds"], "gracePeriodSeconds", "int64") { if case .int = $0 { true } else { false } }
        try expect(fields["propagationPolicy"], "propagationPolicy", "v1.DeletionPropagation") { $0.stringValue != nil }
        try expect(fields["orphanDependents"], "orphanDependents", "bool") { $0.boolValue != nil }
        try expect(fields["preconditions"], "preconditions", "v1.Preconditions") { $0.objectValue != nil }
        try expect(fields["preconditions"]?["uid"], "preconditions.uid", "types.UID") { $0.stringValue != nil }
        try expect(fields["preconditions"]?["resourceVersion"], "preconditions.resourceVersion", "string") { $0.stringValue != nil }
        try expect(fields["dryRun"], "dryRun", "[]string") { $0.arrayValue?.allSatisfy { $0.stringValue != nil } == true }
    }

    /// Options given as a JSON object (a DELETE body, or an Eviction's `deleteOptions`) plus the query.
    init(body: JSONValue, request: RESTRequest) throws(APIError) {
        if let grace = body["gracePeriodSeconds"]?.intValue {
            gracePeriodSeconds = grace
        } else {
            gracePeriodSeconds = try request.integer("gracePeriodSeconds")
        }
        propagationPolicy = body["propagationPolicy"]?.stringValue ?? request.query["propagationPolicy"]
        if propagationPolicy == nil {
            let orphan = body["orphanDependents"]?.boolValue ?? (request.query.has("orphanDependents") ? request.bool("orphanDependents") : nil)
            if let orphan { propagationPolicy = orphan ? "Orphan" : "Background" }
        }
        if let policy = propagationPolicy, !["Orphan", "Background", "Foreground"].contains(policy) {
            throw .badRequest("DeleteOptions.propagationPolicy: Unsupported value: \"\(policy)\": supported values: \"Foreground\", \"Background\", \"Orphan\"")
        }
        if let grace = gracePeriodSeconds, grace < 0 { gracePeriodSeconds = 0 }
        preconditionUID = body["preconditions"]?["uid"]?.stringValue
        preconditionResourceVersion = body["preconditions"]?["resourceVersion"]?.stringValue
        let bodyDryRun = body["dryRun"]?.arrayValue?.compactMap(\.stringValue) ?? []
        dryRun = try request.dryRun() || bodyDryRun.contains("All")
    }
}

/// The garbage collector's finalizers a delete leaves on an object (upstream's
/// `deletionFinalizersForGarbageCollection`): an explicit policy wins, else the finalizer already there,
/// else the kind's default; other finalizers keep their order.
enum GarbageCollectionFinalizers {
    static func after(delete policy: String?, finalizers: [String], defaultPolicy: String) -> [String] {
        let orphan: Bool
        let foreground: Bool
        switch policy {
        case "Orphan": (orphan, foreground) = (true, false)
        case "Foreground": (orphan, foreground) = (false, true)
        case "Background": (orphan, foreground) = (false, false)
        default:
            let decided = finalizers.first { $0 == "orphan" || $0 == "foregroundDeletion" }
            orphan = decided.map { $0 == "orphan" } ?? (defaultPolicy == "Orphan")
            foreground = decided.map { $0 == "foregroundDeletion" } ?? (defaultPolicy == "Foreground")
        }
        var result = finalizers.filter { $0 != "orphan" && $0 != "foregroundDeletion" }
        if orphan { result.append("orphan") }
        if foreground { result.append("foregroundDeletion") }
        return result
    }
}

extension RESTHandler {
    func delete(_ request: RESTRequest) async throws -> RESTResponse {
        try requireVerb(request)
        let resource = request.resource
        guard let name = request.name else { throw APIError.badRequest("name is required") }
        let options = try DeleteOptions(request)
        let format = try request.output()
        let object = try await deleteObject(resource, namespace: request.namespace, name: name, options: options)
        return try respond(object, status: .ok, resource: resource, format: format)
    }

    /// Deletes one object honouring grace periods, finalizers and the propagation policy; returns the
    /// object as it was deleted (or as it now waits, with its deletion timestamp).
    func deleteObject(_ resource: ServedResource, namespace: String?, name: String, options: DeleteOptions) async throws
        -> JSONValue
    {
        let now = clock()
        let outcome = try await guaranteedUpdate(resource, namespace: namespace, name: name, dryRun: options.dryRun,
                                                 precondition: nil) { old, revision in
            guard var object = old else { throw resource.notFound(name) }
            let metadata = object["metadata"] ?? [:]
            if let uid = options.preconditionUID, uid != metadata["uid"]?.stringValue ?? "" {
                throw APIError.conflict(group: resource.group, resource: resource.resource, name: name,
                                        detail: "Precondition failed: UID in precondition: \(uid), UID in object meta: \(metadata["uid"]?.stringValue ?? "")")
            }
            if let rv = options.preconditionResourceVersion, rv != String(revision) {
                throw APIError.conflict(group: resource.group, resource: resource.resource, name: name,
                                        detail: "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(revision)")
            }
            if let special = try resource.strategy.beforeDelete(&object, now: now, propagationPolicy: options.propagationPolicy) {
                return special
            }

            let current = metadata["finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let finalizers = GarbageCollectionFinalizers.after(delete: options.propagationPolicy, finalizers: current,
                                                               defaultPolicy: resource.strategy.defaultPropagationPolicy)
            let grace = resource.strategy.gracePeriod(for: object, requested: options.gracePeriodSeconds)
            let existingGrace = metadata["deletionGracePeriodSeconds"]?.intValue

            if metadata["deletionTimestamp"] != nil {
                let pendingGrace = (existingGrace ?? 0) > 0
                if pendingGrace, grace >= existingGrace ?? 0 {
                    // A graceful deletion in progress: upstream changes nothing, finalizers included.
                    return .unchanged
                }
                if grace == 0 && finalizers.isEmpty { return .delete(object) }
                var changed = false
                if pendingGrace {
                    // Only a shorter grace period may be given.
                    object.setValue(.int(grace), at: ["metadata", "deletionGracePeriodSeconds"])
                    object.setValue(.string(ObjectLifecycle.timestamp(now.addingTimeInterval(TimeInterval(grace)))),
                                    at: ["metadata", "deletionTimestamp"])
                    changed = true
                }
                if finalizers != current {
                    // A new propagation policy replaces the garbage collector's finalizer (upstream's
                    // deletionFinalizersForGarbageCollection), so `--cascade=orphan` after a foreground
                    // delete takes effect.
                    object.setValue(finalizers.isEmpty ? JSONValue?.none : .array(finalizers.map { .string($0) }),
                                    at: ["metadata", "finalizers"])
                    changed = true
                }
                return changed ? .write(object) : .unchanged
            }
            if grace == 0 && finalizers.isEmpty { return .delete(object) }
            object.setValue(.string(ObjectLifecycle.timestamp(now.addingTimeInterval(TimeInterval(grace)))),
                            at: ["metadata", "deletionTimestamp"])
            object.setValue(.int(grace), at: ["metadata", "deletionGracePeriodSeconds"])
            object.setValue(finalizers.isEmpty ? JSONValue?.none : .array(finalizers.map { .string($0) }), at: ["metadata", "finalizers"])
            if metadata["generation"] != nil, resource.strategy.tracksGeneration {
                // Upstream bumps generation when deletion starts on kinds that track it.
                object.setValue(.int((metadata["generation"]?.intValue ?? 0) + 1), at: ["metadata", "generation"])
            }
            return .write(object)
        }
        return outcome.object
    }

    func deleteCollection(_ request: RESTRequest) async throws -> RESTResponse {
        try requireVerb(request)
        let resource = request.resource
        let options = try DeleteOptions(request)
        let format = try request.output()
        let filter = try Selectors.filter(for: request)
        try await hub.waitUntilFresh()
        let (objects, revision) = resource.cache.list(namespace: request.namespace, atLeast: hub.revision)
        var deleted: [CachedObject] = []
        for object in objects where filter.matches(object) {
            do {
                let result = try await deleteObject(resource, namespace: request.namespace, name: object.name, options: options)
                deleted.append(CachedObject(key: object.key, namespace: object.namespace, name: object.name,
                                            revision: object.revision, json: result.serialized(), labels: object.labels,
                                            fields: object.fields))
            } catch let error as APIError where error.isNotFound {
                continue
            }
        }
        let encoder = ResponseEncoder(resource: resource, format: format, now: clock())
        return RESTResponse(status: .ok, contentType: encoder.contentType,
                            body: try encoder.list(deleted, metadata: ["resourceVersion": .string(String(revision))],
                                                   allocator: ByteBufferAllocator()))
    }
}
