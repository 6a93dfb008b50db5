import Foundation
import NIOCore
import NIOHTTP1
import SkiffAPI
import SkiffStorage

/// `pods/<name>/eviction` (policy/v1 Eviction, as `kubectl drain` sends), as upstream's
/// `pkg/registry/core/pod/storage/eviction.go`: a pod is deleted only if the PodDisruptionBudget
/// covering it allows one more disruption, which is counted in the budget's status first.
extension RESTHandler {
    /// Conflicts are retried this often, half a second apart (upstream's `EvictionsRetry`).
    static let evictionRetries = 20
    /// More pending evictions than this in one budget are refused (upstream's `MaxDisruptedPodSize`).
    static let maxDisruptedPods = 2000
    static let tooManyRequestsMessage = "Cannot evict pod as it would violate the pod's disruption budget."

    func evict(_ request: RESTRequest) async throws -> RESTResponse {
        guard let name = request.name, let namespace = request.namespace else { throw APIError.badRequest("name is required") }
        let eviction = try RequestBody.parse(request.http)
        guard case .object = eviction else { throw APIError.badRequest("not a Eviction object") }
        guard eviction["metadata"]?["name"]?.stringValue == name else {
            throw APIError.badRequest("name in URL does not match name in Eviction object")
        }
        let optionsBody = eviction["deleteOptions"].flatMap { $0.isNull ? nil : $0 } ?? [:]
        guard case .object = optionsBody else { throw APIError.badRequest("Eviction.deleteOptions must be an object") }
        let options = try DeleteOptions(body: optionsBody, request: request)
        let pods = request.resource
        let manager = try request.fieldManager()
        let context = StrategyContext(namespace: namespace, user: request.user, dryRun: options.dryRun)
        let userGaveResourceVersion = options.preconditionResourceVersion != nil

        // A pod that is terminal, pending or already deleting is deleted without consulting budgets.
        var pod: JSONValue = [:]
        var podRevision: Int64 = 0
        for attempt in 1...Self.evictionRetries {
            guard let cached = try await readCurrent(pods, namespace: namespace, name: name, resourceVersion: nil) else {
                throw pods.notFound(name)
            }
            pod = try cached.parsed()
            podRevision = cached.revision
            guard Self.canIgnoreBudget(pod) else { break }
            var podOptions = options
            if Self.shouldEnforceResourceVersion(pod) && !userGaveResourceVersion {
                podOptions.preconditionResourceVersion = String(podRevision)
            }
            do {
                try await markAndDelete(pods, namespace: namespace, name: name, options: podOptions, context: context, manager: manager)
                return try Self.evictionSucceeded()
            } catch let error as APIError where error.isConflict && !userGaveResourceVersion && attempt < Self.evictionRetries {
                try await Self.sleepBeforeRetry()
            }
        }

        guard let budgets = registry.resource(group: "policy", resource: "poddisruptionbudgets") else {
            try await markAndDelete(pods, namespace: namespace, name: name, options: options, context: context, manager: manager)
            return try Self.evictionSucceeded()
        }
        let covering = try await budgetsCovering(pod, namespace: namespace, budgets: budgets)
        if covering.count > 1 {
            return try respondPlain(["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
                                     "message": "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                                     "code": 500], status: .internalServerError)
        }
        var deleteOptions = options
        if let first = covering.first {
            var (pdb, revision) = first
            let pdbName = pdb["metadata"]?["name"]?.stringValue ?? ""
            if Self.canEvictUnhealthy(pod, budget: pdb) {
                // The pod does not count as healthy: deleting it takes nothing from the budget, provided
                // it does not turn ready meanwhile.
                deleteOptions.preconditionResourceVersion = String(podRevision)
                do {
                    try await markAndDelete(pods, namespace: namespace, name: name, options: deleteOptions, context: context,
                                            manager: manager)
                } catch let error as APIError where error.isConflict && !userGaveResourceVersion {
                    throw Self.budgetStillProcessing(pdbName)
                }
                return try Self.evictionSucceeded()
            }
            for attempt in 1...Self.evictionRetries {
                do {
                    try await checkAndDecrement(pdb, revision: revision, podName: name, budgets: budgets, dryRun: options.dryRun)
                    break
                } catch let error as APIError where error.isConflict && attempt < Self.evictionRetries {
                    try await Self.sleepBeforeRetry()
                    guard let fresh = try await readCurrent(budgets, namespace: namespace, name: pdbName, resourceVersion: nil) else {
                        throw budgets.notFound(pdbName)
                    }
                    pdb = try fresh.parsed()
                    revision = fresh.revision
                }
            }
        }
        try await markAndDelete(pods, namespace: namespace, name: name, options: deleteOptions, context: context, manager: manager)
        return try Self.evictionSucceeded()
    }

    /// Terminal, pending and deleting pods (upstream's `canIgnorePDB`).
    static func canIgnoreBudget(_ pod: JSONValue) -> Bool {
        let phase = pod["status"]?["phase"]?.stringValue ?? ""
        return phase == "Succeeded" || phase == "Failed" || phase == "Pending" || pod["metadata"]?["deletionTimestamp"] != nil
    }

    /// All but terminal and deleting pods are deleted only at the revision that was judged
    /// (upstream's `shouldEnforceResourceVersion`), so a pod turning ready meanwhile is not lost.
    static func shouldEnforceResourceVersion(_ pod: JSONValue) -> Bool {
        let phase = pod["status"]?["phase"]?.stringValue ?? ""
        return !(phase == "Succeeded" || phase == "Failed" || pod["metadata"]?["deletionTimestamp"] != nil)
    }

    static func isReady(_ pod: JSONValue) -> Bool {
        (pod["status"]?["conditions"]?.arrayValue ?? []).contains {
            $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
        }
    }

    /// An unready pod may go without counting against the budget when its policy is `AlwaysAllow`, or
    /// (`IfHealthyBudget`, the default) while the application has all the healthy pods it needs.
    static func canEvictUnhealthy(_ pod: JSONValue, budget pdb: JSONValue) -> Bool {
        guard !isReady(pod) else { return false }
        if pdb["spec"]?["unhealthyPodEvictionPolicy"]?.stringValue == "AlwaysAllow" { return true }
        let current = pdb["status"]?["currentHealthy"]?.intValue ?? 0
        let desired = pdb["status"]?["desiredHealthy"]?.intValue ?? 0
        return current >= desired && desired > 0
    }

    /// The budgets in the pod's namespace whose selector matches it, with their revisions; an invalid
    /// selector matches nothing, an empty one everything (policy/v1).
    func budgetsCovering(_ pod: JSONValue, namespace: String, budgets: ServedResource) async throws -> [(JSONValue, Int64)] {
        try await hub.waitUntilFresh()
        var labels: [String: String] = [:]
        for (key, value) in pod["metadata"]?["labels"]?.objectValue ?? [:] { labels[key] = value.stringValue ?? "" }
        var result: [(JSONValue, Int64)] = []
        for cached in budgets.cache.list(namespace: namespace, atLeast: hub.revision).objects {
            let pdb = try cached.parsed()
            guard let selector = try? LabelSelector(object: pdb["spec"]?["selector"]), selector.matches(labels) else { continue }
            result.append((pdb, cached.revision))
        }
        return result
    }

    /// Takes one disruption from the budget and records the pod in `disruptedPods`, with a status update
    /// conditioned on `revision` (upstream's `checkAndDecrement`); 429 when none is left.
    func checkAndDecrement(_ pdb: JSONValue, revision: Int64, podName: String, budgets: ServedResource, dryRun: Bool) async throws {
        let name = pdb["metadata"]?["name"]?.stringValue ?? ""
        let status = pdb["status"]
        let allowed = status?["disruptionsAllowed"]?.intValue ?? 0
        if (status?["observedGeneration"]?.intValue ?? 0) < (pdb["metadata"]?["generation"]?.intValue ?? 0) {
            throw Self.budgetStillProcessing(name)
        }
        if allowed < 0 {
            throw APIError.forbidden(group: "policy", resource: "poddisruptionbudget", name: name,
                                     detail: "pdb disruptions allowed is negative")
        }
        if (status?["disruptedPods"]?.objectValue?.count ?? 0) > Self.maxDisruptedPods {
            throw APIError.forbidden(group: "policy", resource: "poddisruptionbudget", name: name,
                                     detail: "DisruptedPods map too big - too many evictions not confirmed by PDB controller")
        }
        if allowed == 0 {
            let desired = status?["desiredHealthy"]?.intValue ?? 0
            let current = status?["currentHealthy"]?.intValue ?? 0
            throw APIError(code: 429, reason: "TooManyRequests", message: Self.tooManyRequestsMessage,
                           causes: [.init(reason: "DisruptionBudget",
                                          message: "The disruption budget \(name) needs \(desired) healthy pods and has \(current) currently")])
        }
        if dryRun { return }
        let now = clock()
        var updated = pdb
        updated.setValue(.int(allowed - 1), at: ["status", "disruptionsAllowed"])
        if allowed - 1 == 0 { DisruptionBudgetConditions.update(&updated, now: now) }
        updated.setValue(.string(ObjectLifecycle.timestamp(now)), at: ["status", "disruptedPods", podName])
        let context = StrategyContext(namespace: pdb["metadata"]?["namespace"]?.stringValue, user: nil, dryRun: false)
        _ = try await guaranteedUpdate(budgets, namespace: context.namespace, name: name, dryRun: false,
                                       precondition: revision) { old, current in
            guard let old else { throw budgets.notFound(name) }
            guard current == revision else {
                throw APIError.staleResourceVersion(group: budgets.group, resource: budgets.resource, name: name)
            }
            return try await self.decideUpdate(new: updated, old: old, resource: budgets, subresource: "status",
                                               context: context, manager: "kube-apiserver")
        }
    }

    /// Marks the pod `DisruptionTarget` (reason `EvictionByEvictionAPI`) and deletes it with `options`
    /// (upstream's `addConditionAndDeletePod`); the mark honours the options' preconditions and moves
    /// their resourceVersion along with it.
    func markAndDelete(_ pods: ServedResource, namespace: String, name: String, options: DeleteOptions,
                       context: StrategyContext, manager: String) async throws {
        var options = options
        if !options.dryRun {
            let now = ObjectLifecycle.timestamp(clock())
            let outcome = try await guaranteedUpdate(pods, namespace: namespace, name: name, dryRun: false,
                                                     precondition: nil) { old, revision in
                guard let old else { throw pods.notFound(name) }
                let uid = old["metadata"]?["uid"]?.stringValue ?? ""
                if let want = options.preconditionUID, !want.isEmpty, want != uid {
                    throw APIError.conflict(group: "", resource: "Pod", name: name,
                                            detail: "the UID in the precondition (\(want)) does not match the UID in record (\(uid)). The object might have been deleted and then recreated")
                }
                if let want = options.preconditionResourceVersion, !want.isEmpty, want != String(revision) {
                    throw APIError.conflict(group: "", resource: "Pod", name: name,
                                            detail: "the ResourceVersion in the precondition (\(want)) does not match the ResourceVersion in record (\(revision)). The object might have been modified")
                }
                var pod = old
                var conditions = pod["status"]?["conditions"]?.arrayValue ?? []
                let existing = conditions.firstIndex { $0["type"]?.stringValue == "DisruptionTarget" }
                var condition: JSONValue = ["type": "DisruptionTarget", "status": "True", "lastProbeTime": nil,
                                            "lastTransitionTime": .string(now), "reason": "EvictionByEvictionAPI",
                                            "message": "Eviction API: evicting"]
                if let existing {
                    if conditions[existing]["status"]?.stringValue == "True" {
                        condition["lastTransitionTime"] = conditions[existing]["lastTransitionTime"] ?? .string(now)
                    }
                    conditions[existing] = condition
                } else {
                    conditions.append(condition)
                }
                pod.setValue(.array(conditions), at: ["status", "conditions"])
                return try await self.decideUpdate(new: pod, old: old, resource: pods, subresource: "status",
                                                   context: context, manager: manager)
            }
            if options.preconditionResourceVersion != nil {
                options.preconditionResourceVersion = outcome.object["metadata"]?["resourceVersion"]?.stringValue
            }
        }
        _ = try await deleteObject(pods, namespace: namespace, name: name, options: options)
    }

    /// 429 while the disruption controller has not yet seen the budget's latest spec.
    static func budgetStillProcessing(_ name: String) -> APIError {
        APIError(code: 429, reason: "TooManyRequests", message: tooManyRequestsMessage,
                 causes: [.init(reason: "DisruptionBudget", message: "The disruption budget \(name) is still being processed by the server.")],
                 retryAfterSeconds: 10)
    }

    static func evictionSucceeded() throws -> RESTResponse {
        let status: JSONValue = ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "code": 201]
        return RESTResponse(status: .created, contentType: "application/json",
                            body: ByteBufferAllocator().buffer(bytes: status.serialized()))
    }

    /// Half a second with 10% jitter, as upstream's retry backoff.
    static func sleepBeforeRetry() async throws {
        try await Task.sleep(for: .milliseconds(500 + Int.random(in: 0...50)))
    }
}
