import Foundation
import Logging
import SkiffAPI
import SkiffClient

/// Content is still going away (graceful deletion, finalizers): sync again in about `estimate` seconds.
struct ResourcesRemaining: Error, CustomStringConvertible {
    var estimate: Int64
    var description: String { "some content remains in the namespace, estimate \(estimate) seconds before it is removed" }
}

/// Empties a terminating namespace and then removes the `kubernetes` finalizer through
/// `namespaces/<name>/finalize`, after which the API server deletes the namespace (upstream's
/// `namespacedResourcesDeleter`).
struct NamespaceContentDeleter: Sendable {
    let client: RESTClient
    let logger: Logger
    var clock: ControllerClock = .system
    /// The finalizer this controller owns.
    static let finalizer = "kubernetes"
    /// How long to assume finalizers on remaining items take (upstream: 15 s).
    static let finalizerEstimateSeconds: Int64 = 15

    var namespaces: Api<core.v1.Namespace> { client.api(core.v1.Namespace.self) }

    /// Runs one pass for namespace `name`; throws `ResourcesRemaining` when content is still going away.
    func delete(namespace name: String) async throws {
        guard var namespace = try await get(name), namespace.isBeingDeleted else { return }
        namespace = try await markTerminating(namespace)
        guard Self.specFinalizers(namespace).contains(Self.finalizer) else { return }
        let estimate = try await deleteAllContent(namespace)
        if estimate > 0 { throw ResourcesRemaining(estimate: estimate) }
        try await finalize(namespace)
        logger.info("namespace emptied and finalized", metadata: ["namespace": "\(name)"])
    }

    func get(_ name: String) async throws -> core.v1.Namespace? {
        do { return try await namespaces.get(name) } catch let error as APIError where error.isNotFound {
            return nil
        }
    }

    static func specFinalizers(_ namespace: core.v1.Namespace) -> [String] { namespace.spec?.finalizers ?? [] }

    /// Sets `status.phase: Terminating` if the server has not (upstream's `updateNamespaceStatusFunc`).
    func markTerminating(_ namespace: core.v1.Namespace) async throws -> core.v1.Namespace {
        guard namespace.status?.phase != "Terminating" else { return namespace }
        var updated = namespace
        var status = updated.status ?? core.v1.NamespaceStatus()
        status.phase = "Terminating"
        updated.status = status
        return try await namespaces.updateStatus(updated)
    }

    /// Deletes everything in the namespace; returns how many seconds until what remains should be gone.
    func deleteAllContent(_ namespace: core.v1.Namespace) async throws -> Int64 {
        let name = namespace.objectName
        var conditions = NamespaceConditions()
        var resources: [APIResource] = []
        do {
            let discovered = try await ResourceDiscovery(client: client).discover()
            resources = discovered.preferred.filter { $0.namespaced && $0.supports("delete") }
            if !discovered.failedGroupVersions.isEmpty {
                let failed = discovered.failedGroupVersions.map { "\($0.key): \($0.value)" }.sorted()
                conditions.discoveryFailed("Discovery failed for some groups, \(failed.count) failing: \(failed.joined(separator: ", "))")
            }
        } catch {
            conditions.discoveryFailed("\(error)")
        }
        let deletedAt = namespace.metadata?.deletionTimestamp?.date ?? clock.date
        var estimate: Int64 = 0
        var remaining: [String: Int] = [:]
        var finalizers: [String: Int] = [:]
        var errors: [String] = []
        await withTaskGroup(of: (APIResource, Result<ContentLeft, any Error>).self) { group in
            for resource in resources {
                group.addTask {
                    do { return (resource, .success(try await self.deleteAll(resource, in: name, deletedAt: deletedAt))) } catch {
                        return (resource, .failure(error))
                    }
                }
            }
            for await (resource, outcome) in group {
                switch outcome {
                case .success(let left):
                    estimate = max(estimate, left.estimate)
                    remaining["\(resource.resource).\(resource.group)"] = left.count
                    for (finalizer, count) in left.finalizers { finalizers[finalizer, default: 0] += count }
                    if let problem = left.problem { errors.append(problem) }
                case .failure(let error):
                    errors.append("\(error)")
                }
            }
        }
        for error in errors { conditions.deleteContentFailed(error) }
        conditions.contentRemaining(resources: remaining, finalizers: finalizers)
        await updateConditions(name, conditions)
        if let first = errors.sorted().first { throw NamespaceDeletionError(message: first, count: errors.count) }
        if resources.isEmpty { throw NamespaceDeletionError(message: "no namespaced resources discovered", count: 1) }
        return estimate
    }

    /// What is left of one resource in the namespace after deleting it all.
    struct ContentLeft: Sendable {
        var count = 0
        var estimate: Int64 = 0
        var finalizers: [String: Int] = [:]
        /// Items remain that nothing explains (no finalizers, no graceful deletion).
        var problem: String?
    }

    /// Deletes a resource's collection in the namespace (item by item when the resource has no
    /// `deletecollection`), in the background, then counts what is left.
    func deleteAll(_ resource: APIResource, in namespace: String, deletedAt: Date) async throws -> ContentLeft {
        let path = resource.path(namespace: namespace)
        let estimate = resource.group.isEmpty && resource.resource == "pods"
            ? try await estimateGracefulTermination(in: namespace, deletedAt: deletedAt) : 0
        let options: JSONValue = ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"]
        if resource.supports("deletecollection", "list") {
            do {
                _ = try await client.json(.DELETE, path.collection, body: options)
            } catch let error as APIError where error.isNotFound || error.code == 405 {
                try await deleteEach(path, options: options)
            }
        } else if resource.supports("list") {
            try await deleteEach(path, options: options)
        } else {
            return ContentLeft()
        }
        let items = try await metadata(of: path)
        guard !items.isEmpty else { return ContentLeft() }
        var left = ContentLeft(count: items.count)
        for item in items {
            for finalizer in item.finalizers { left.finalizers[finalizer, default: 0] += 1 }
        }
        if estimate > 0 {
            left.estimate = estimate
        } else if !left.finalizers.isEmpty {
            left.estimate = Self.finalizerEstimateSeconds
        } else if items.contains(where: \.isBeingDeleted) {
            // Graceful deletion still under way (whatever the kind).
            left.estimate = 1
        } else {
            left.problem = "unexpected items still remain in namespace: \(namespace) for gvr: \(resource)"
        }
        return left
    }

    func deleteEach(_ path: ResourcePath, options: JSONValue) async throws {
        for item in try await metadata(of: path) {
            do { _ = try await client.json(.DELETE, path.object(item.name), body: options) } catch let error as APIError
                where error.isNotFound || error.isConflict
            {
                continue
            }
        }
    }

    /// The metadata of every object in a collection, as `PartialObjectMetadata` pages (upstream's deleter
    /// lists through the metadata client too): what is left is counted, not read.
    func metadata(of path: ResourcePath) async throws -> [ObjectMetadata] {
        let source = ListWatch<ObjectMetadata>.rest(client, path)
        var items: [ObjectMetadata] = []
        var token: String?
        repeat {
            let page = try await source.list(token)
            items += page.items
            token = page.continueToken
        } while token != nil
        return items
    }

    /// The longest grace period of pods still running, less the time since the namespace was deleted
    /// (upstream's `estimateGracefulTerminationForPods`).
    func estimateGracefulTermination(in namespace: String, deletedAt: Date) async throws -> Int64 {
        var estimate: Int64 = 0
        for pod in try await client.pods(namespace).list().items where !pod.isTerminated {
            let grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30
            estimate = max(estimate, grace)
        }
        let elapsed = Int64(clock.date.timeIntervalSince(deletedAt))
        return max(0, estimate - elapsed)
    }

    /// Writes the deletion conditions if they changed (best effort: the next pass writes them again).
    func updateConditions(_ name: String, _ conditions: NamespaceConditions) async {
        for _ in 0..<3 {
            guard var namespace = try? await get(name) else { return }
            let (updated, changed) = conditions.apply(to: namespace.status?.conditions ?? [], now: meta.v1.Time(clock.date))
            guard changed else { return }
            var status = namespace.status ?? core.v1.NamespaceStatus()
            status.conditions = updated
            namespace.status = status
            do {
                _ = try await namespaces.updateStatus(namespace)
                return
            } catch let error as APIError where error.isConflict {
                continue
            } catch {
                logger.debug("could not update namespace conditions", metadata: ["namespace": "\(name)", "error": "\(error)"])
                return
            }
        }
    }

    /// Removes our finalizer from `spec.finalizers` through the `finalize` subresource; conflicts read again.
    func finalize(_ namespace: core.v1.Namespace) async throws {
        var current = namespace
        let name = namespace.objectName
        for attempt in 0..<5 {
            let kept = Self.specFinalizers(current).filter { $0 != Self.finalizer }
            guard kept.count != Self.specFinalizers(current).count else { return }
            var spec = current.spec ?? core.v1.NamespaceSpec()
            spec.finalizers = kept
            current.spec = spec
            do {
                _ = try await client.json(.PUT, namespaces.path(name, subresource: "finalize"), body: current.json)
                return
            } catch let error as APIError where error.isNotFound {
                return
            } catch let error as APIError where error.isConflict && attempt < 4 {
                guard let latest = try await get(name) else { return }
                guard latest.uid == namespace.uid else {
                    throw NamespaceDeletionError(message: "namespace uid has changed across retries", count: 1)
                }
                current = latest
            }
        }
    }
}

/// Deleting a namespace's content failed for some resources.
struct NamespaceDeletionError: Error, CustomStringConvertible {
    var message: String
    var count: Int
    var description: String { count > 1 ? "\(message) (and \(count - 1) more)" : message }
}
