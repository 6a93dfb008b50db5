import Foundation
import SkiffAPI

/// Namespaces: `Active` on create, the `kubernetes` finalizer that the namespace controller removes
/// through `namespaces/<name>/finalize` after emptying it, `Terminating` on delete, and the
/// `kubernetes.io/metadata.name` label (upstream's `pkg/registry/core/namespace`).
struct NamespaceStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }

    func prepareForCreate(_ object: inout JSONValue, context: StrategyContext) {
        object["status"] = ["phase": "Active"]
        if object["spec"]?["finalizers"] == nil { object.setValue(["kubernetes"], at: ["spec", "finalizers"]) }
        labelWithName(&object)
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue, context: StrategyContext) {
        object["status"] = old["status"]
        object.setValue(old["spec"]?["finalizers"], at: ["spec", "finalizers"])
        labelWithName(&object)
    }

    func labelWithName(_ object: inout JSONValue) {
        if let name = object["metadata"]?["name"]?.stringValue {
            object.setValue(.string(name), at: ["metadata", "labels", "kubernetes.io/metadata.name"])
        }
    }

    func beforeDelete(_ object: inout JSONValue, now: Date, propagationPolicy: String?) throws -> UpdateDecision? {
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        if NamespaceLifecycle.immortalNamespaces.contains(name) {
            throw APIError.forbidden(group: "", resource: "namespaces", name: name, detail: "this namespace may not be deleted")
        }
        if object["metadata"]?["deletionTimestamp"] != nil {
            return readyToDelete(object) ? .delete(object) : .unchanged
        }
        // The first delete starts termination and, as upstream's namespace registry does, sets the garbage
        // collector's finalizer from the request's propagation policy (a namespace has no default one).
        let current = object["metadata"]?["finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let finalizers = GarbageCollectionFinalizers.after(delete: propagationPolicy, finalizers: current, defaultPolicy: "")
        if (object["spec"]?["finalizers"]?.arrayValue ?? []).isEmpty && finalizers.isEmpty {
            return .delete(object)
        }
        if finalizers != current {
            object.setValue(finalizers.isEmpty ? JSONValue?.none : .array(finalizers.map { .string($0) }), at: ["metadata", "finalizers"])
        }
        object.setValue(.string(ObjectLifecycle.timestamp(now)), at: ["metadata", "deletionTimestamp"])
        object.setValue(0, at: ["metadata", "deletionGracePeriodSeconds"])
        object.setValue("Terminating", at: ["status", "phase"])
        return .write(object)
    }

    func readyToDelete(_ object: JSONValue) -> Bool {
        (object["metadata"]?["finalizers"]?.arrayValue ?? []).isEmpty && (object["spec"]?["finalizers"]?.arrayValue ?? []).isEmpty
    }
}
