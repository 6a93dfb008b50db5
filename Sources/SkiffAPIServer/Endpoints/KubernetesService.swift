import Foundation
import SkiffAPI
import SkiffStorage

/// The `default/kubernetes` Service every cluster has, with the Endpoints and EndpointSlice that point at this
/// API server, as upstream's bootstrap controller and endpoint reconciler keep them: clients in pods find the
/// API at `kubernetes.default.svc`, and clients such as the official libraries' tests look for the object.
extension APIServer {
    /// The address clients elsewhere reach this server at: the bind address, or the host's first address
    /// when it binds to all of them.
    var advertiseAddress: String {
        let host = configuration.bindAddress
        if host == "0.0.0.0" || host == "::" { return Self.hostAddresses().first ?? "127.0.0.1" }
        return host
    }

    /// Creates the Service if it is missing and brings its endpoints to this server's address and port.
    func bootstrapKubernetesService() async throws {
        let port = Int64(try await listeningPort())
        let labels: JSONValue = ["component": "apiserver", "provider": "kubernetes"]
        if let services = registry.resource(group: "", resource: "services") {
            let ip = (services.strategy as? ServiceStrategy)?.allocator.firstAddress ?? "10.96.0.1"
            try await ensure(services, name: "kubernetes", [
                "apiVersion": "v1", "kind": "Service",
                "metadata": ["name": "kubernetes", "namespace": "default", "labels": labels],
                "spec": ["type": "ClusterIP", "clusterIP": .string(ip), "clusterIPs": [.string(ip)],
                         "ports": [["name": "https", "port": 443, "protocol": "TCP", "targetPort": .int(port)]],
                         "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                         "internalTrafficPolicy": "Cluster"],
                "status": ["loadBalancer": [:]],
            ], replaceSpec: false)
        }
        let address = advertiseAddress
        if let endpoints = registry.resource(group: "", resource: "endpoints") {
            try await ensure(endpoints, name: "kubernetes", [
                "apiVersion": "v1", "kind": "Endpoints",
                "metadata": ["name": "kubernetes", "namespace": "default",
                             "labels": ["endpointslice.kubernetes.io/skip-mirror": "true"]],
                "subsets": [["addresses": [["ip": .string(address)]],
                             "ports": [["name": "https", "port": .int(port), "protocol": "TCP"]]]],
            ], replaceSpec: true)
        }
        if let slices = registry.resource(group: "discovery.k8s.io", resource: "endpointslices") {
            try await ensure(slices, name: "kubernetes", [
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": ["name": "kubernetes", "namespace": "default",
                             "labels": ["kubernetes.io/service-name": "kubernetes"]],
                "addressType": "IPv4",
                "endpoints": [["addresses": [.string(address)], "conditions": ["ready": true]]],
                "ports": [["name": "https", "port": .int(port), "protocol": "TCP"]],
            ], replaceSpec: true)
        }
    }

    /// Creates `object` when missing; with `replaceSpec`, rewrites a stored one whose content differs (another
    /// port after a restart) while keeping its identity. A conflict with another server is tried again.
    private func ensure(_ resource: ServedResource, name: String, _ object: JSONValue, replaceSpec: Bool) async throws {
        let key = resource.key(namespace: "default", name: name)
        for _ in 0..<5 {
            if try await ensureOnce(resource, key: key, object, replaceSpec: replaceSpec) { return }
        }
    }

    /// One attempt of `ensure`: true when done, false after a conflict.
    private func ensureOnce(_ resource: ServedResource, key: String, _ object: JSONValue, replaceSpec: Bool) async throws -> Bool {
        guard let stored = try await store.get(key) else {
            var created = object
            ObjectLifecycle.prepareForCreate(&created, resource: resource, namespace: "default", now: clock())
            do {
                _ = try await store.create(key, value: ObjectLifecycle.storageBytes(created))
                return true
            } catch {
                if error.isKeyExists { return false }
                throw error
            }
        }
        guard replaceSpec else { return true }
        var wanted = object
        wanted["metadata"] = try JSONValue(parsing: stored.value)["metadata"]
        let wantedBytes = ObjectLifecycle.storageBytes(wanted)
        if try JSONValue(parsing: wantedBytes) == JSONValue(parsing: stored.value) { return true }
        do {
            _ = try await store.update(key, value: wantedBytes, expectedRevision: stored.modRevision)
            return true
        } catch {
            if error.isConflict { return false }
            throw error
        }
    }
}
