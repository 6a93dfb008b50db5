public import Foundation
public import Logging
public import SkiffAPI
public import SkiffClient

/// What every kubelet (simulated or real) does for its Node object: create it (or find it from an earlier
/// run), write its status through `nodes/status`, and renew its Lease in `kube-node-lease`.
public struct NodeRegistration: Sendable {
    let client: RESTClient
    let logger: Logger

    public init(client: RESTClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Creates the Node (a 409 means an earlier run did), writes its status and renews its Lease; retries
    /// while the API server is unreachable or starting, and throws on a refusal (4xx).
    public func register(name: String, object: core.v1.Node, status: @Sendable () -> core.v1.NodeStatus) async throws {
        var delay: Duration = .milliseconds(200)
        while true {
            do {
                do {
                    _ = try await client.nodes().create(object)
                } catch let error as APIError where error.code == 409 {}
                try await reportStatus(name: name, status: status())
                try await renewLease(name: name)
                return
            } catch let error as APIError where error.code < 500 && error.code != 429 {
                throw error
            } catch {
                // The API server may still be starting.
                logger.debug("registering node failed; retrying", metadata: ["node": "\(name)", "error": "\(error)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// Writes the node's status (a merge patch of `status`).
    public func reportStatus(name: String, status: core.v1.NodeStatus) async throws {
        _ = try await client.nodes().patch(name, .merge(["status": status.json]), subresource: "status")
    }

    /// Renews (or creates) the node's Lease in `kube-node-lease`, as the kubelet does every 10 s.
    public func renewLease(name: String, durationSeconds: Int = 40) async throws {
        let now = meta.v1.MicroTime(Date())
        let leases = client.api(coordination.v1.Lease.self, namespace: "kube-node-lease")
        do {
            _ = try await leases.patch(name, .merge(["spec": ["holderIdentity": .string(name), "renewTime": now.json]]))
        } catch let error as APIError where error.code == 404 {
            let spec = coordination.v1.LeaseSpec(holderIdentity: name, leaseDurationSeconds: Int32(clamping: durationSeconds),
                                                 renewTime: now)
            _ = try await leases.create(coordination.v1.Lease(metadata: meta.v1.ObjectMeta(name: name, namespace: "kube-node-lease"),
                                                              spec: spec))
        }
    }

    /// Standard node conditions, all healthy but Ready as given.
    /// `enforcesLimits: false` adds `LimitsEnforced=False` (a condition of Skiff's own, as node-problem-detector
    /// adds its own): a node whose runtime cannot hold containers to their limits says so where
    /// `kubectl describe node` shows it.
    public static func conditions(now: Date, ready: Bool, enforcesLimits: Bool = true) -> [core.v1.NodeCondition] {
        let time = meta.v1.Time(now)
        func condition(_ type: String, _ status: String, _ reason: String, _ message: String) -> core.v1.NodeCondition {
            core.v1.NodeCondition(lastHeartbeatTime: time, lastTransitionTime: time, message: message, reason: reason,
                                  status: status, type: type)
        }
        var list = [
            condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            ready ? condition("Ready", "True", "KubeletReady", "kubelet is posting ready status")
                : condition("Ready", "False", "KubeletNotReady", "kubelet is not ready"),
        ]
        if !enforcesLimits {
            list.append(condition("LimitsEnforced", "False", "RuntimeCannotEnforceLimits",
                                  "the process runtime runs containers as plain host processes: resources.limits (cpu, memory) are not enforced"))
        }
        return list
    }
}
