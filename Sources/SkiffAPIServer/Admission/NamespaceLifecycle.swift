import SkiffAPI

/// NamespaceLifecycle: nothing new goes into a namespace that does not exist or is terminating, and the
/// namespaces a cluster needs can never be deleted (the namespace strategy refuses that).
struct NamespaceLifecycle: AdmissionPlugin {
    /// The namespace object by name, nil when there is none; it may wait for the cache to catch up.
    typealias Lookup = @Sendable (_ name: String) async throws -> JSONValue?

    /// Namespaces that can never be deleted.
    static let immortalNamespaces: Set<String> = ["default", "kube-system", "kube-public"]

    var name: String { "NamespaceLifecycle" }
    let namespace: Lookup

    func admit(_ attributes: inout AdmissionAttributes) async throws {
        guard attributes.operation == .create, let name = attributes.namespace else { return }
        guard let object = try await namespace(name) else {
            throw APIError.notFound(group: "", resource: "namespaces", name: name)
        }
        if object["metadata"]?["deletionTimestamp"] != nil || object["status"]?["phase"]?.stringValue == "Terminating" {
            throw APIError.forbidden(
                group: attributes.group, resource: attributes.resource, name: attributes.name,
                detail: "unable to create new content in namespace \(name) because it is being terminated",
                causes: [.init(reason: "NamespaceTerminating",
                               message: "namespace \(name) is being terminated", field: "metadata.namespace")])
        }
    }
}
