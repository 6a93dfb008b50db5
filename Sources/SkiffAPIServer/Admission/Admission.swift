import SkiffAPI

/// The built-in admission plugins Skiff runs on writes: NamespaceLifecycle (no new objects in a
/// missing or terminating namespace), DefaultTolerationSeconds and the ServiceAccount and Priority
/// defaults for pods.
struct Admission: Sendable {
    /// Tolerations added to pods for `node.kubernetes.io/not-ready` and `unreachable` (NoExecute).
    var defaultNotReadyTolerationSeconds: Int64 = 300
    var defaultUnreachableTolerationSeconds: Int64 = 300

    /// Namespaces that can never be deleted.
    static let immortalNamespaces: Set<String> = ["default", "kube-system", "kube-public"]

    func admitCreate(_ object: inout JSONValue, resource: ServedResource, namespace: String?, handler: RESTHandler)
        async throws
    {
        if resource.namespaced, let namespace {
            try await requireLiveNamespace(namespace, resource: resource, name: object["metadata"]?["name"]?.stringValue ?? "",
                                           handler: handler)
        }
        if resource.group.isEmpty && resource.resource == "pods" {
            defaultPod(&object)
        }
    }

    func admitUpdate(_ object: inout JSONValue, old: JSONValue, resource: ServedResource, handler: RESTHandler) async throws {}

    /// NamespaceLifecycle: the namespace must exist and not be terminating.
    func requireLiveNamespace(_ namespace: String, resource: ServedResource, name: String, handler: RESTHandler) async throws {
        guard let namespaces = handler.registry.resource(group: "", resource: "namespaces") else { return }
        var cached = namespaces.cache.get(namespace: "", name: namespace)
        if cached == nil {
            // Created a moment ago? Catch up with the store before refusing.
            try await handler.hub.waitUntilFresh()
            cached = namespaces.cache.get(namespace: "", name: namespace)
        }
        guard let cached else {
            throw APIError.notFound(group: "", resource: "namespaces", name: namespace)
        }
        let object = try cached.parsed()
        if object["metadata"]?["deletionTimestamp"] != nil || object["status"]?["phase"]?.stringValue == "Terminating" {
            throw APIError.forbidden(
                group: resource.group, resource: resource.resource, name: name,
                detail: "unable to create new content in namespace \(namespace) because it is being terminated",
                causes: [.init(reason: "NamespaceTerminating",
                               message: "namespace \(namespace) is being terminated", field: "metadata.namespace")])
        }
    }

    /// DefaultTolerationSeconds, ServiceAccount (the `default` account) and Priority defaults.
    func defaultPod(_ pod: inout JSONValue) {
        var spec = pod["spec"] ?? [:]
        var tolerations = spec["tolerations"]?.arrayValue ?? []
        func tolerates(_ key: String) -> Bool {
            tolerations.contains { t in
                let effect = t["effect"]?.stringValue ?? ""
                let op = t["operator"]?.stringValue ?? "Equal"
                let k = t["key"]?.stringValue ?? ""
                return (effect.isEmpty || effect == "NoExecute") && (k == key || (k.isEmpty && op == "Exists"))
            }
        }
        for (key, seconds) in [("node.kubernetes.io/not-ready", defaultNotReadyTolerationSeconds),
                               ("node.kubernetes.io/unreachable", defaultUnreachableTolerationSeconds)] where !tolerates(key) {
            tolerations.append(["key": .string(key), "operator": "Exists", "effect": "NoExecute",
                                "tolerationSeconds": .int(seconds)])
        }
        spec["tolerations"] = .array(tolerations)
        if (spec["serviceAccountName"]?.stringValue ?? "").isEmpty {
            spec["serviceAccountName"] = .string(spec["serviceAccount"]?.stringValue ?? "default")
        }
        if (spec["serviceAccount"]?.stringValue ?? "").isEmpty { spec["serviceAccount"] = spec["serviceAccountName"] }
        if spec["priority"] == nil, (spec["priorityClassName"]?.stringValue ?? "").isEmpty { spec["priority"] = 0 }
        if spec["preemptionPolicy"] == nil { spec["preemptionPolicy"] = "PreemptLowerPriority" }
        pod["spec"] = spec
    }
}
