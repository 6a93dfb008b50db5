import Foundation
import SkiffAPI

/// What the API server knows about a request while a strategy runs.
struct StrategyContext: Sendable {
    /// The namespace in the URL (nil for cluster-scoped resources).
    var namespace: String?
    var user: UserInfo?
    /// Whether this is a dry run (nothing will be stored).
    var dryRun: Bool
}

/// Kind-specific behaviour of a resource (upstream's `RESTCreateStrategy`/`RESTUpdateStrategy`):
/// defaulting, normalisation and validation. The generic REST code handles metadata, storage,
/// preconditions and watch; a strategy only reasons about its own kind.
protocol ResourceStrategy: Sendable {
    /// Whether changes to anything but metadata and status increment `metadata.generation`.
    var tracksGeneration: Bool { get }
    /// Whether status is written only through the `status` subresource (main updates keep the old status).
    var hasStatusSubresource: Bool { get }
    /// Whether PUT may create a missing object.
    var allowCreateOnUpdate: Bool { get }
    /// Whether PUT without a resourceVersion overwrites whatever is stored.
    var allowUnconditionalUpdate: Bool { get }

    /// Clears what clients may not set and applies defaults before a create.
    func prepareForCreate(_ object: inout JSONValue, context: StrategyContext)
    /// Keeps what an update may not change (e.g. status) and applies defaults.
    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue, context: StrategyContext)
    /// Checks a new object; a 422 Invalid (or other) error when it is refused.
    func validateCreate(_ object: JSONValue, context: StrategyContext) -> APIError?
    /// Checks an update against the old object (immutable fields and the rest).
    func validateUpdate(_ object: JSONValue, old: JSONValue, context: StrategyContext) -> APIError?
    /// For the status subresource: keeps everything but status (and the metadata status may change).
    func prepareForStatusUpdate(_ object: inout JSONValue, old: JSONValue, context: StrategyContext)
    func validateStatusUpdate(_ object: JSONValue, old: JSONValue, context: StrategyContext) -> APIError?
    /// The grace period a delete should wait (0 deletes at once); `requested` is DeleteOptions'.
    func gracePeriod(for object: JSONValue, requested: Int64?) -> Int64
    /// The propagation policy when a delete names none (upstream's `DefaultGarbageCollectionPolicy`).
    var defaultPropagationPolicy: String { get }
    /// A kind-specific delete (namespaces start terminating instead); `nil` for the generic behaviour.
    /// `propagationPolicy` is the one the request named, if any.
    func beforeDelete(_ object: inout JSONValue, now: Date, propagationPolicy: String?) throws -> UpdateDecision?
    /// Whether an object being deleted has nothing left holding it (finalizers) and can go.
    func readyToDelete(_ object: JSONValue) -> Bool
    /// Last step before a create (`old` nil) or update is stored: allocations (service IPs and ports).
    func beforeStore(_ object: inout JSONValue, old: JSONValue?, dryRun: Bool) throws(APIError)
    /// The object was removed from storage (upstream's `AfterDelete`): what it held is free again.
    func afterDelete(_ object: JSONValue)
}

extension ResourceStrategy {
    func afterDelete(_ object: JSONValue) {}

    var tracksGeneration: Bool { false }
    var hasStatusSubresource: Bool { false }
    var allowCreateOnUpdate: Bool { false }
    var allowUnconditionalUpdate: Bool { true }

    func prepareForCreate(_ object: inout JSONValue, context: StrategyContext) {
        if hasStatusSubresource { object["status"] = nil }
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue, context: StrategyContext) {
        if hasStatusSubresource { object["status"] = old["status"] }
    }

    func validateCreate(_ object: JSONValue, context: StrategyContext) -> APIError? { nil }
    func validateUpdate(_ object: JSONValue, old: JSONValue, context: StrategyContext) -> APIError? { nil }

    func prepareForStatusUpdate(_ object: inout JSONValue, old: JSONValue, context: StrategyContext) {
        let status = object["status"]
        var metadata = old["metadata"] ?? [:]
        // Status writers may still change labels and annotations? Upstream keeps old metadata except
        // for what the generic code manages (managedFields), so do the same.
        if let managed = object["metadata"]?["managedFields"] { metadata["managedFields"] = managed }
        object = old
        object["metadata"] = metadata
        object["status"] = status
    }

    func validateStatusUpdate(_ object: JSONValue, old: JSONValue, context: StrategyContext) -> APIError? { nil }

    func gracePeriod(for object: JSONValue, requested: Int64?) -> Int64 { 0 }

    var defaultPropagationPolicy: String { "Background" }

    func beforeDelete(_ object: inout JSONValue, now: Date, propagationPolicy: String?) throws -> UpdateDecision? { nil }

    func readyToDelete(_ object: JSONValue) -> Bool {
        (object["metadata"]?["finalizers"]?.arrayValue ?? []).isEmpty
    }

    func beforeStore(_ object: inout JSONValue, old: JSONValue?, dryRun: Bool) throws(APIError) {}
}

/// The behaviour of kinds with nothing special: metadata checks only (done by the REST layer).
struct GenericStrategy: ResourceStrategy {
    var tracksGeneration: Bool = false
    var hasStatusSubresource: Bool = false
    var allowCreateOnUpdate: Bool = false
}
