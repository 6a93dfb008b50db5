import Foundation
import NIOCore
import NIOHTTP1
import SkiffAPI
import SkiffStorage

/// The four patch types the API accepts, by Content-Type.
enum PatchType: String {
    case json = "application/json-patch+json"
    case merge = "application/merge-patch+json"
    case strategic = "application/strategic-merge-patch+json"
    case apply = "application/apply-patch+yaml"

    static let acceptedList = "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json"
}

extension RESTHandler {
    func patch(_ request: RESTRequest) async throws -> RESTResponse {
        try requireVerb(request)
        return try await patch(request, subresource: nil)
    }

    /// PATCH of the object or of a subresource (status).
    func patch(_ request: RESTRequest, subresource: String?) async throws -> RESTResponse {
        let resource = request.resource
        guard let name = request.name else { throw APIError.methodNotSupported(group: resource.group, resource: resource.resource, verb: "patch") }
        let contentType = request.http.header("Content-Type").flatMap { MediaType(parsing: $0[...]) }?.essence ?? ""
        guard let type = PatchType(rawValue: contentType) else {
            throw APIError.unsupportedMediaType("the body of the request was in an unknown format - accepted media types include: \(PatchType.acceptedList)")
        }
        let dryRun = try request.dryRun()
        let manager = try request.fieldManager()
        let format = try request.output()
        let validation = try request.fieldValidation()
        let force = request.bool("force")
        if request.query.has("force") && type != .apply {
            throw APIError.badRequest("force is only supported for apply patches")
        }
        if type == .apply && request.query["fieldManager"] == nil {
            throw invalid(resource, name: name, [.required("fieldManager", "is required for apply requests")])
        }
        let patchDocument = try parsePatch(request, type: type)
        let schema = resource.schema
        let context = StrategyContext(namespace: request.namespace, user: request.user, dryRun: dryRun)
        var warnings: [String] = []

        let outcome = try await guaranteedUpdate(resource, namespace: request.namespace, name: name, dryRun: dryRun,
                                                 precondition: nil) { old, revision in
            guard let old else {
                guard type == .apply, subresource == nil else { throw resource.notFound(name) }
                var created = try Patcher.apply(patchDocument, to: nil, manager: manager, force: force, schema: schema,
                                                resource: resource, now: self.clock())
                warnings = try self.checkPatched(&created, resource: resource, validation: validation, name: name)
                try self.checkNamespace(of: &created, request: request)
                created = try self.storedCreate(created, resource: resource)
                ObjectLifecycle.prepareForCreate(&created, resource: resource, namespace: request.namespace, now: self.clock())
                resource.strategy.prepareForCreate(&created, context: context)
                try await self.admission.admitCreate(&created, resource: resource, namespace: request.namespace)
                if let error = self.validateCreate(created, resource: resource, context: context) { throw error }
                try resource.strategy.beforeStore(&created, old: nil, dryRun: dryRun)
                return .create(created)
            }
            // A converted version is patched in its own form, then stored in the storage form.
            let current = resource.conversion?.served(old) ?? old
            var patched: JSONValue
            switch type {
            case .json: patched = try Patcher.jsonPatch(patchDocument, to: current)
            case .merge: patched = try Patcher.mergePatch(patchDocument, to: current)
            case .strategic:
                guard let schema else {
                    throw APIError.unsupportedMediaType("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
                }
                patched = try Patcher.strategicMergePatch(patchDocument, to: current, schema: schema)
            case .apply:
                patched = try Patcher.apply(patchDocument, to: current, manager: manager, force: force, schema: schema,
                                            resource: resource, now: self.clock())
            }
            // A resourceVersion the patch sets is a precondition.
            if let rv = patched["metadata"]?["resourceVersion"]?.stringValue, !rv.isEmpty, rv != String(revision) {
                throw APIError.staleResourceVersion(group: resource.group, resource: resource.resource, name: name)
            }
            warnings = try self.checkPatched(&patched, resource: resource, validation: validation, name: name)
            if patched["metadata"]?["name"]?.stringValue != name {
                throw self.invalid(resource, name: name, [.invalid("metadata.name", patched["metadata"]?["name"] ?? nil, "field is immutable")])
            }
            try self.checkNamespace(of: &patched, request: request)
            if let conversion = resource.conversion { patched = conversion.stored(patched) }
            return try await self.decideUpdate(new: patched, old: old, resource: resource, subresource: subresource,
                                               context: context, manager: type == .apply ? nil : manager)
        }
        return try respond(outcome.object, status: outcome.created ? .created : .ok, resource: resource, format: format,
                           warnings: warnings)
    }

    /// Parses a patch body: JSON for the JSON-based types, YAML (or JSON) for apply.
    func parsePatch(_ request: RESTRequest, type: PatchType) throws(APIError) -> JSONValue {
        var body = request.http.body
        let bytes = body.readBytes(length: body.readableBytes) ?? []
        if type == .apply { return try RequestBody.parseYAML(bytes) }
        do {
            return try JSONValue(parsing: bytes)
        } catch {
            throw .badRequest("error decoding patch: \(error.message)")
        }
    }

    /// The patched object must still be a valid object of the kind: apiVersion/kind unchanged, the schema check.
    func checkPatched(_ object: inout JSONValue, resource: ServedResource, validation: FieldValidation, name: String)
        throws(APIError) -> [String]
    {
        let gvk = resource.info.groupVersionKind
        if let apiVersion = object["apiVersion"]?.stringValue, apiVersion != gvk.apiVersion {
            throw .badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (\(gvk.apiVersion))")
        }
        if let kind = object["kind"]?.stringValue, kind != gvk.kind {
            throw .badRequest("the kind in the data (\(kind)) does not match the expected kind (\(gvk.kind))")
        }
        object["apiVersion"] = .string(gvk.apiVersion)
        object["kind"] = .string(gvk.kind)
        guard let schema = resource.schema else { return [] }
        let result = SchemaChecker.check(&object, schema: schema)
        if let typeError = result.typeErrors.first {
            throw .badRequest("\(gvk.kind) in version \"\(gvk.version)\" cannot be handled as a \(gvk.kind): \(typeError)")
        }
        guard !result.unknownFields.isEmpty else { return [] }
        switch validation {
        case .strict:
            throw .badRequest("strict decoding error: " + result.unknownFields.map { "unknown field \"\($0)\"" }.joined(separator: ", "))
        case .warn: return result.unknownFields.map { "unknown field \"\($0)\"" }
        case .ignore: return []
        }
    }
}
