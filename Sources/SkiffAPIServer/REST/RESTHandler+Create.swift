import Foundation
import NIOCore
import NIOHTTP1
import SkiffAPI
import SkiffStorage

extension RESTHandler {
    func create(_ request: RESTRequest) async throws -> RESTResponse {
        try requireVerb(request)
        let resource = request.resource
        let dryRun = try request.dryRun()
        let manager = try request.fieldManager()
        let format = try request.output()
        let body = try RequestBody(request, validation: try request.fieldValidation())
        var object = body.object
        try checkNamespace(of: &object, request: request)
        if resource.conversion != nil { object = try storedCreate(object, resource: resource) }

        let metadata = object["metadata"]
        let givenName = metadata?["name"]?.stringValue ?? ""
        let generateName = metadata?["generateName"]?.stringValue ?? ""
        if givenName.isEmpty && generateName.isEmpty {
            throw invalid(resource, name: "", [FieldProblem.required("metadata.name", "name or generateName is required")])
        }
        let context = StrategyContext(namespace: request.namespace, user: request.user, dryRun: dryRun)
        ObjectLifecycle.prepareForCreate(&object, resource: resource, namespace: request.namespace, now: clock())
        resource.strategy.prepareForCreate(&object, context: context)
        try await admission.admitCreate(&object, resource: resource, namespace: request.namespace)

        // A generated name that collides is retried with a new one, as upstream's RetryGenerateName does.
        for attempt in 0..<8 {
            var candidate = object
            if givenName.isEmpty {
                candidate.setValue(.string(ObjectLifecycle.generatedName(generateName)), at: ["metadata", "name"])
            }
            let name = candidate["metadata"]?["name"]?.stringValue ?? ""
            if let error = validateCreate(candidate, resource: resource, context: context) { throw error }
            try resource.strategy.beforeStore(&candidate, old: nil, dryRun: dryRun)
            candidate = recordCreate(candidate, manager: manager, resource: resource)
            if dryRun {
                return try respond(candidate, status: .created, resource: resource, format: format, warnings: body.warnings)
            }
            let outcome: Result<Int64, StoreError>
            let storage = try ObjectLifecycle.storageFormWithinLimit(candidate)
            do {
                outcome = .success(try await store.create(resource.key(namespace: request.namespace, name: name),
                                                          value: storage.bytes, decoded: storage.object))
            } catch {
                outcome = .failure(error)
            }
            let revision: Int64
            switch outcome {
            case .success(let r): revision = r
            case .failure(let error) where error.isKeyExists:
                if givenName.isEmpty && attempt < 7 { continue }
                throw APIError.alreadyExists(group: resource.group, resource: resource.resource, name: name)
            case .failure(let error): throw error
            }
            return try respond(json: ObjectLifecycle.servedBytes(stored: storage.bytes, revision: revision), status: .created,
                               resource: resource, format: format, warnings: body.warnings)
        }
        throw APIError.alreadyExists(group: resource.group, resource: resource.resource, name: givenName)
    }

    /// The namespace in the body must agree with the URL's; it is filled in from the URL when missing.
    func checkNamespace(of object: inout JSONValue, request: RESTRequest) throws(APIError) {
        guard request.resource.namespaced else {
            object.setValue(nil, at: ["metadata", "namespace"])
            return
        }
        guard let namespace = request.namespace else {
            throw .badRequest("the server could not find the requested resource")
        }
        let given = object["metadata"]?["namespace"]?.stringValue ?? ""
        if !given.isEmpty && given != namespace {
            throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        object.setValue(.string(namespace), at: ["metadata", "namespace"])
    }

    /// Validates a stored-form object; problems are named by the request's version's field paths.
    func validateCreate(_ object: JSONValue, resource: ServedResource, context: StrategyContext) -> APIError? {
        let storage = resource.storage
        let problems = ObjectMetaValidation.validateCreate(object, resource: storage) + storage.definition.validate(object)
        if !problems.isEmpty { return invalid(resource, name: object["metadata"]?["name"]?.stringValue ?? "", problems, in: object) }
        return resource.strategy.validateCreate(object, context: context)
    }

    /// A 422 Invalid for `problems` on the named object.
    func invalid(_ resource: ServedResource, name: String, _ problems: [FieldProblem]) -> APIError {
        FieldProblem.invalid(group: resource.group, kind: resource.kind, name: name, problems)
    }

    /// A 422 Invalid for problems found in the stored form `object`, with the served version's paths.
    func invalid(_ resource: ServedResource, name: String, _ problems: [FieldProblem], in object: JSONValue) -> APIError {
        invalid(resource, name: name, resource.conversion?.servedProblems(problems, in: object) ?? problems)
    }

    /// An object created through a converted version: that version's own create checks, then its
    /// stored form (the object itself for the storage version).
    func storedCreate(_ served: JSONValue, resource: ServedResource) throws(APIError) -> JSONValue {
        guard let conversion = resource.conversion else { return served }
        let problems = conversion.converter.validateCreate(served)
        if !problems.isEmpty { throw invalid(resource, name: served["metadata"]?["name"]?.stringValue ?? "", problems) }
        return conversion.stored(served)
    }

    /// managedFields for a create, computed in the request's version (whose field paths they record).
    func recordCreate(_ object: JSONValue, manager: String, resource: ServedResource) -> JSONValue {
        guard let conversion = resource.conversion else {
            return managedFields.recordCreate(object, manager: manager, resource: resource, now: clock())
        }
        let served = managedFields.recordCreate(conversion.served(object), manager: manager, resource: resource, now: clock())
        var result = object
        result.setValue(served["metadata"]?["managedFields"], at: ["metadata", "managedFields"])
        return result
    }

    /// Encodes `object` in the negotiated format.
    func respond(_ object: JSONValue, status: HTTPResponseStatus, resource: ServedResource, format: OutputFormat,
                 warnings: [String] = []) throws -> RESTResponse {
        try respond(json: object.serialized(), status: status, resource: resource, format: format, warnings: warnings)
    }

    /// Encodes an object given as JSON in the negotiated format.
    func respond(json: [UInt8], status: HTTPResponseStatus, resource: ServedResource, format: OutputFormat,
                 warnings: [String] = []) throws -> RESTResponse {
        let encoder = ResponseEncoder(resource: resource, format: format, now: clock())
        return RESTResponse(status: status, contentType: encoder.contentType,
                            body: try encoder.object(json, allocator: ByteBufferAllocator()), warnings: warnings)
    }
}
