import SkiffAPI
import SkiffClient

/// Requests the collector sends: reads and deletes with preconditions, and metadata patches guarded by
/// the resourceVersion they were computed from (upstream's `operations.go` and `patch.go`).
extension CollectorRun {
    /// The path of the object `identity` names. A namespaced kind without a namespace can only come from
    /// a cluster-scoped dependent naming a namespaced owner: never valid.
    func objectPath(_ identity: ObjectIdentity) async throws -> String {
        let resource = try await resource(apiVersion: identity.apiVersion, kind: identity.kind)
        if resource.namespaced && identity.namespace.isEmpty { throw CollectorError.namespacedOwnerOfClusterScopedObject }
        return resource.objectPath(name: identity.name, namespace: identity.namespace)
    }

    /// The object now on the server, or nil if there is none by that name.
    func getObject(_ identity: ObjectIdentity) async throws -> JSONValue? {
        let path = try await objectPath(identity)
        do {
            return try await client.json(.GET, path)
        } catch let error as APIError where error.isNotFound {
            return nil
        }
    }

    /// Deletes with the uid (and, if given, resourceVersion) as preconditions and upstream's propagation
    /// policy. A resourceVersion conflict is retried without it when the owner references are unchanged:
    /// only a change of owners may stop the collection.
    func deleteObject(_ identity: ObjectIdentity, resourceVersion: String, owners: [OwnerReference],
                      policy: String) async throws {
        let path = try await objectPath(identity)
        func options(resourceVersion: String?) -> JSONValue {
            var preconditions: JSONValue = ["uid": .string(identity.uid)]
            if let resourceVersion, !resourceVersion.isEmpty { preconditions["resourceVersion"] = .string(resourceVersion) }
            return ["kind": "DeleteOptions", "apiVersion": "v1", "preconditions": preconditions,
                    "propagationPolicy": .string(policy)]
        }
        do {
            _ = try await client.json(.DELETE, path, body: options(resourceVersion: resourceVersion))
        } catch let error as APIError where error.isConflict && !resourceVersion.isEmpty {
            guard let live = try? await client.json(.GET, path) else { throw error }
            let metadata = ObjectMetadata(object: live)
            guard metadata.uid == identity.uid, metadata.resourceVersion != resourceVersion, metadata.ownerReferences == owners
            else { throw error }
            _ = try await client.json(.DELETE, path, body: options(resourceVersion: nil))
        }
        logger.debug("deleted", metadata: ["object": "\(identity)", "propagationPolicy": "\(policy)"])
    }

    /// Reads the object, lets `change` compute a metadata patch from its metadata (nil: nothing to do), and
    /// merge-patches it with the read resourceVersion as precondition; conflicts read again. Returns
    /// quietly when the object (with this uid) is gone.
    func patchMetadata(_ identity: ObjectIdentity, _ change: (JSONValue) -> JSONValue?) async throws {
        let path = try await objectPath(identity)
        var attempts = 0
        while true {
            let object: JSONValue
            do { object = try await client.json(.GET, path) } catch let error as APIError where error.isNotFound { return }
            let metadata = object["metadata"] ?? [:]
            guard metadata["uid"]?.stringValue == identity.uid, var patch = change(metadata) else { return }
            patch["resourceVersion"] = metadata["resourceVersion"]
            do {
                _ = try await client.json(.PATCH, path, body: ["metadata": patch], contentType: "application/merge-patch+json")
                return
            } catch let error as APIError where error.isConflict && attempts < 5 {
                attempts += 1
            } catch let error as APIError where error.isNotFound {
                return
            }
        }
    }

    /// Removes the references to `ownerUIDs` from the object's ownerReferences.
    func removeOwnerReferences(_ identity: ObjectIdentity, ownerUIDs: Set<String>) async throws {
        try await patchMetadata(identity) { metadata in
            let references = metadata["ownerReferences"]?.arrayValue ?? []
            let kept = references.filter { !ownerUIDs.contains($0["uid"]?.stringValue ?? "") }
            guard kept.count != references.count else { return nil }
            return ["ownerReferences": kept.isEmpty ? nil : .array(kept)]
        }
    }

    /// Sets `blockOwnerDeletion: false` on every blocking reference (breaks foreground-deletion cycles).
    func unblockOwnerReferences(_ identity: ObjectIdentity) async throws {
        try await patchMetadata(identity) { metadata in
            var changed = false
            let references = (metadata["ownerReferences"]?.arrayValue ?? []).map { reference -> JSONValue in
                guard reference["blockOwnerDeletion"]?.boolValue == true else { return reference }
                var unblocked = reference
                unblocked["blockOwnerDeletion"] = false
                changed = true
                return unblocked
            }
            return changed ? ["ownerReferences": .array(references)] : nil
        }
    }

    /// Removes `finalizer` from the object's finalizers (the server deletes it if none remain).
    func removeFinalizer(_ identity: ObjectIdentity, _ finalizer: String) async throws {
        try await patchMetadata(identity) { metadata in
            let finalizers = metadata["finalizers"]?.arrayValue ?? []
            let kept = finalizers.filter { $0.stringValue != finalizer }
            guard kept.count != finalizers.count else { return nil }
            return ["finalizers": kept.isEmpty ? nil : .array(kept)]
        }
        logger.debug("removed finalizer", metadata: ["object": "\(identity)", "finalizer": "\(finalizer)"])
    }
}
