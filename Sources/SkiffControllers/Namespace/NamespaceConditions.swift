import SkiffAPI

/// The deletion conditions the namespace controller keeps on a terminating namespace's status
/// (upstream's `namespaceConditionUpdater`): each type is `True` with the failure, or `False` with an
/// "all is well" reason, so `kubectl describe ns` tells why a namespace is stuck.
struct NamespaceConditions: Sendable {
    static let discoveryFailure = "NamespaceDeletionDiscoveryFailure"
    static let groupVersionParsingFailure = "NamespaceDeletionGroupVersionParsingFailure"
    static let contentFailure = "NamespaceDeletionContentFailure"
    static let contentRemaining = "NamespaceContentRemaining"
    static let finalizersRemaining = "NamespaceFinalizersRemaining"

    /// The types kept, in the order they are written.
    static let types = [discoveryFailure, groupVersionParsingFailure, contentFailure, contentRemaining, finalizersRemaining]

    static let okReasons = [
        discoveryFailure: "ResourcesDiscovered", groupVersionParsingFailure: "ParsedGroupVersions",
        contentFailure: "ContentDeleted", contentRemaining: "ContentRemoved", finalizersRemaining: "ContentRemoved",
    ]
    static let okMessages = [
        discoveryFailure: "All resources successfully discovered",
        groupVersionParsingFailure: "All legacy kube types successfully parsed",
        contentFailure: "All content successfully deleted, may be waiting on finalization",
        contentRemaining: "All content successfully removed", finalizersRemaining: "All content successfully removed",
    ]

    /// Failing conditions by type: reason and message.
    private(set) var failures: [String: (reason: String, message: String)] = [:]
    private var contentErrors: [String] = []

    mutating func discoveryFailed(_ message: String) {
        failures[Self.discoveryFailure] = ("DiscoveryFailed", message)
    }

    mutating func deleteContentFailed(_ message: String) { contentErrors.append(message) }

    /// Records what is left: instances per `resource.group`, and instances per finalizer.
    mutating func contentRemaining(resources: [String: Int], finalizers: [String: Int]) {
        let remaining = resources.filter { $0.value > 0 }.map { "\($0.key) has \($0.value) resource instances" }.sorted()
        if !remaining.isEmpty {
            failures[Self.contentRemaining] = ("SomeResourcesRemain",
                                               "Some resources are remaining: \(remaining.joined(separator: ", "))")
        }
        let held = finalizers.filter { $0.value > 0 }.map { "\($0.key) in \($0.value) resource instances" }.sorted()
        if !held.isEmpty {
            failures[Self.finalizersRemaining] = ("SomeFinalizerRemain",
                                                  "Some finalizers are remaining: \(held.joined(separator: ", "))")
        }
    }

    /// The namespace's conditions updated with these results; `changed` says whether anything differs
    /// (a transition time moves only when a condition's status does).
    func apply(to conditions: [core.v1.NamespaceCondition], now: meta.v1.Time) -> (conditions: [core.v1.NamespaceCondition], changed: Bool) {
        var failures = self.failures
        if failures[Self.contentFailure] == nil, !contentErrors.isEmpty {
            failures[Self.contentFailure] = ("ContentDeletionFailed",
                                             "Failed to delete all resource types, \(contentErrors.count) remaining: \(contentErrors.sorted().joined(separator: ", "))")
        }
        var result = conditions
        var changed = false
        for type in Self.types {
            let status = failures[type] == nil ? "False" : "True"
            let reason = failures[type]?.reason ?? Self.okReasons[type] ?? ""
            let message = failures[type]?.message ?? Self.okMessages[type] ?? ""
            if let index = result.firstIndex(where: { $0.type == type }) {
                var condition = result[index]
                guard condition.status != status || condition.reason != reason || condition.message != message else { continue }
                if condition.status != status { condition.lastTransitionTime = now }
                condition.status = status
                condition.reason = reason
                condition.message = message
                result[index] = condition
            } else {
                result.append(core.v1.NamespaceCondition(lastTransitionTime: now, message: message, reason: reason, status: status,
                                                         type: type))
            }
            changed = true
        }
        return (result, changed)
    }
}
