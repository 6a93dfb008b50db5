import Foundation
import NIOCore
import NIOHTTP1
import SkiffAPI
import SkiffStorage

/// What an update transform decided.
enum UpdateDecision {
    /// Store this object (CAS on the old revision).
    case write(JSONValue)
    /// Create this object (the old one was missing and creation on update is allowed).
    case create(JSONValue)
    /// Nothing changed: answer with the stored object, write nothing.
    case unchanged
    /// The object has a deletion timestamp and no finalizers left: remove it.
    case delete(JSONValue)
}

/// The outcome of a guaranteed update.
struct UpdateOutcome {
    var object: JSONValue
    var created: Bool
}

extension RESTHandler {
    func update(_ request: RESTRequest) async throws -> RESTResponse {
        try requireVerb(request)
        return try await replace(request, subresource: nil)
    }

    /// PUT of the object or of its status subresource.
    func replace(_ request: RESTRequest, subresource: String?) async throws -> RESTResponse {
        let resource = request.resource
        guard let name = request.name else { throw APIError.methodNotSupported(group: resource.group, resource: resource.resource, verb: "update") }
        let dryRun = try request.dryRun()
        let manager = try request.fieldManager()
        let format = try request.output()
        let body = try RequestBody(request, validation: try request.fieldValidation())
        var object = body.object
        try checkNamespace(of: &object, request: request)
        let bodyName = object["metadata"]?["name"]?.stringValue ?? ""
        guard bodyName == name else {
            throw APIError.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        let served = object
        if let conversion = resource.conversion { object = conversion.stored(object) }
        let precondition = object["metadata"]?["resourceVersion"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        if precondition == nil && !resource.strategy.allowUnconditionalUpdate {
            throw invalid(resource, name: name, [.required("metadata.resourceVersion", "must be specified for an update")])
        }
        let preconditionRevision = try precondition.map { text throws(APIError) -> Int64 in
            guard let value = Int64(text) else {
                throw invalid(resource, name: name, [.invalid("metadata.resourceVersion", .string(text), "must be a number")])
            }
            return value
        }
        let context = StrategyContext(namespace: request.namespace, user: request.user, dryRun: dryRun)
        let outcome = try await guaranteedUpdate(resource, namespace: request.namespace, name: name, dryRun: dryRun,
                                                 precondition: preconditionRevision) { old, revision in
            guard let old else {
                guard subresource == nil, resource.strategy.allowCreateOnUpdate else { throw resource.notFound(name) }
                var created = try self.storedCreate(served, resource: resource)
                ObjectLifecycle.prepareForCreate(&created, resource: resource, namespace: request.namespace, now: self.clock())
                resource.strategy.prepareForCreate(&created, context: context)
                try await self.admission.admitCreate(&created, resource: resource, namespace: request.namespace)
                if let error = self.validateCreate(created, resource: resource, context: context) { throw error }
                try resource.strategy.beforeStore(&created, old: nil, dryRun: dryRun)
                return .create(self.recordCreate(created, manager: manager, resource: resource))
            }
            if let preconditionRevision, preconditionRevision != revision {
                throw APIError.staleResourceVersion(group: resource.group, resource: resource.resource, name: name)
            }
            return try await self.decideUpdate(new: object, old: old, resource: resource, subresource: subresource,
                                               context: context, manager: manager)
        }
        return try respond(outcome.object, status: outcome.created ? .created : .ok, resource: resource, format: format,
                           warnings: body.warnings)
    }

    /// Prepares, validates and admits `new` as an update of `old` (both stored forms; `resource` is the
    /// request's version); decides whether to write, skip or delete.
    func decideUpdate(new: JSONValue, old: JSONValue, resource: ServedResource, subresource: String?,
                      context: StrategyContext, manager: String?) async throws -> UpdateDecision {
        var object = new
        let name = old["metadata"]?["name"]?.stringValue ?? ""
        switch subresource {
        case "status":
            resource.strategy.prepareForStatusUpdate(&object, old: old, context: context)
        case "finalize":
            // Only spec.finalizers may change through `finalize`.
            let finalizers = object["spec"]?["finalizers"]
            object = old
            object.setValue(finalizers, at: ["spec", "finalizers"])
        default:
            resource.strategy.prepareForUpdate(&object, old: old, context: context)
        }
        let storage = resource.storage
        ObjectLifecycle.prepareForUpdate(&object, old: old, resource: storage)
        var problems = ObjectMetaValidation.validateUpdate(object, old: old, resource: storage)
        if subresource == nil {
            problems += storage.definition.validateUpdate(object, old: old)
        }
        if !problems.isEmpty { throw invalid(resource, name: name, problems, in: object) }
        let strategyError = subresource == "status"
            ? resource.strategy.validateStatusUpdate(object, old: old, context: context)
            : resource.strategy.validateUpdate(object, old: old, context: context)
        if let strategyError { throw strategyError }
        try await admission.admitUpdate(&object, old: old, resource: resource)
        try resource.strategy.beforeStore(&object, old: old, dryRun: context.dryRun)
        if let manager {
            object = recordUpdate(object, old: old, manager: manager, subresource: subresource, resource: resource)
        }
        if resource.conversion == nil {
            if ObjectLifecycle.storageBytes(object) == ObjectLifecycle.storageBytes(old) { return .unchanged }
        } else if ObjectLifecycle.storageForm(object).object == ObjectLifecycle.storageForm(old).object {
            // Conversion may reorder members; unchanged content is no change.
            return .unchanged
        }
        let metadata = object["metadata"]
        if metadata?["deletionTimestamp"] != nil, resource.strategy.readyToDelete(object),
           (metadata?["deletionGracePeriodSeconds"]?.intValue ?? 0) == 0
        {
            return .delete(object)
        }
        return .write(object)
    }

    /// managedFields for an update, computed in the request's version (whose field paths they record).
    func recordUpdate(_ object: JSONValue, old: JSONValue, manager: String, subresource: String?,
                      resource: ServedResource) -> JSONValue {
        guard let conversion = resource.conversion else {
            return managedFields.recordUpdate(object, old: old, manager: manager, subresource: subresource, resource: resource, now: clock())
        }
        let served = managedFields.recordUpdate(conversion.served(object), old: conversion.served(old), manager: manager,
                                                subresource: subresource, resource: resource, now: clock())
        var result = object
        result.setValue(served["metadata"]?["managedFields"], at: ["metadata", "managedFields"])
        return result
    }

    /// Reads the stored object, lets `transform` decide, and writes with compare-and-swap; a conflict
    /// with a concurrent writer re-reads and retries unless the caller gave a precondition.
    func guaranteedUpdate(_ resource: ServedResource, namespace: String?, name: String, dryRun: Bool,
                          precondition: Int64?,
                          transform: (JSONValue?, Int64) async throws -> UpdateDecision) async throws -> UpdateOutcome {
        let key = resource.key(namespace: namespace, name: name)
        for _ in 0..<16 {
            let stored = try await store.get(key)
            let old = try stored.map { try JSONValue(parsing: $0.value) }.map {
                ObjectLifecycle.settingRevision($0, stored?.modRevision ?? 0)
            }
            let decision = try await transform(old, stored?.modRevision ?? 0)
            do {
                switch decision {
                case .unchanged:
                    guard let old else { throw resource.notFound(name) }
                    return UpdateOutcome(object: old, created: false)
                case .write(let object):
                    guard let stored else { throw resource.notFound(name) }
                    if dryRun { return UpdateOutcome(object: object, created: false) }
                    let storage = try ObjectLifecycle.storageFormWithinLimit(object)
                    let revision = try await store.update(key, value: storage.bytes, expectedRevision: stored.modRevision,
                                                          decoded: storage.object)
                    return UpdateOutcome(object: ObjectLifecycle.settingRevision(object, revision), created: false)
                case .create(let object):
                    if dryRun { return UpdateOutcome(object: object, created: true) }
                    let storage = try ObjectLifecycle.storageFormWithinLimit(object)
                    let revision = try await store.create(key, value: storage.bytes, decoded: storage.object)
                    return UpdateOutcome(object: ObjectLifecycle.settingRevision(object, revision), created: true)
                case .delete(let object):
                    guard let stored else { throw resource.notFound(name) }
                    if dryRun { return UpdateOutcome(object: object, created: false) }
                    let removed = try await store.delete(key, expectedRevision: stored.modRevision)
                    resource.strategy.afterDelete(object)
                    return UpdateOutcome(object: ObjectLifecycle.settingRevision(object, removed.modRevision), created: false)
                }
            } catch let error as StoreError where error.isConflict || error.isKeyExists || error.isNotFound {
                if precondition != nil {
                    throw APIError.staleResourceVersion(group: resource.group, resource: resource.resource, name: name)
                }
                continue
            }
        }
        throw APIError.staleResourceVersion(group: resource.group, resource: resource.resource, name: name)
    }
}
