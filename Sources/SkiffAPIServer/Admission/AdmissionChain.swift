import SkiffAPI

/// What an admission plugin sees of a write (upstream's `admission.Attributes`): the operation, the
/// resource, and the object (which mutating plugins may change).
struct AdmissionAttributes: Sendable {
    enum Operation: String, Sendable { case create = "CREATE", update = "UPDATE" }

    var operation: Operation
    var group: String
    var resource: String
    var kind: String
    /// The namespace of a namespaced resource's object; nil for cluster-scoped ones.
    var namespace: String?
    var name: String
    var object: JSONValue
    /// The stored object an update replaces.
    var old: JSONValue?

    /// Whether this is a write of `resource` in the core group (`pods`, …).
    func isCore(_ resource: String) -> Bool { group.isEmpty && self.resource == resource }
}

/// One admission plugin (upstream's `admission.MutationInterface` and `ValidationInterface` in one): it
/// takes only what it needs when it is made, and sees each write's attributes. Throwing refuses the write.
protocol AdmissionPlugin: Sendable {
    /// Upstream's plugin name (`NamespaceLifecycle`), for logs and `--enable-admission-plugins`.
    var name: String { get }
    func admit(_ attributes: inout AdmissionAttributes) async throws
}

/// The admission plugins a write goes through, in order, after the kind's strategy and before validation.
struct AdmissionChain: Sendable {
    let plugins: [any AdmissionPlugin]

    /// The built-in chain: NamespaceLifecycle, DefaultTolerationSeconds, ServiceAccount and Priority.
    static func builtin(namespaces: @escaping NamespaceLifecycle.Lookup, notReadyTolerationSeconds: Int64 = 300,
                        unreachableTolerationSeconds: Int64 = 300) -> AdmissionChain {
        AdmissionChain(plugins: [
            NamespaceLifecycle(namespace: namespaces),
            DefaultTolerationSeconds(notReadySeconds: notReadyTolerationSeconds, unreachableSeconds: unreachableTolerationSeconds),
            ServiceAccountAdmission(),
            PriorityAdmission(),
        ])
    }

    func admitCreate(_ object: inout JSONValue, resource: ServedResource, namespace: String?) async throws {
        var attributes = AdmissionAttributes(operation: .create, group: resource.group, resource: resource.resource, kind: resource.kind,
                                             namespace: resource.namespaced ? namespace : nil,
                                             name: object["metadata"]?["name"]?.stringValue ?? "", object: object)
        for plugin in plugins { try await plugin.admit(&attributes) }
        object = attributes.object
    }

    func admitUpdate(_ object: inout JSONValue, old: JSONValue, resource: ServedResource) async throws {
        var attributes = AdmissionAttributes(operation: .update, group: resource.group, resource: resource.resource, kind: resource.kind,
                                             namespace: resource.namespaced ? old["metadata"]?["namespace"]?.stringValue : nil,
                                             name: old["metadata"]?["name"]?.stringValue ?? "", object: object, old: old)
        for plugin in plugins { try await plugin.admit(&attributes) }
        object = attributes.object
    }
}
