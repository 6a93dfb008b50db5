import Foundation
public import Logging
public import SkiffAPI

/// Timing and identity of a leader election on a `coordination.k8s.io/v1` Lease (client-go's
/// `leaderelection` with a `LeaseLock`; defaults are kube-controller-manager's).
public struct LeaderElectionConfig: Sendable {
    public var namespace: String
    public var name: String
    /// This candidate's identity (`hostname_uuid` upstream).
    public var identity: String
    /// How long a lease holds without renewal before others may take it.
    public var leaseDuration: Duration
    /// How long the leader keeps trying to renew before it gives up leading.
    public var renewDeadline: Duration
    /// How often candidates try to acquire, and the leader renews.
    public var retryPeriod: Duration

    public init(namespace: String = "kube-system", name: String, identity: String, leaseDuration: Duration = .seconds(15),
                renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2)) {
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
    }
}

/// The decision of one acquire-or-renew attempt, made without I/O from what the lease says and when
/// this candidate last saw it change (client-go judges expiry by its own observation time, never by
/// the timestamps of another machine's clock).
public enum LeaseDecision: Equatable, Sendable {
    /// No lease: create one naming us.
    case create
    /// Ours: renew it.
    case renew
    /// Someone else's, expired: take it over (a transition).
    case takeOver
    /// Someone else holds it and it is fresh.
    case wait(holder: String)
}

public enum LeaseElection {
    /// Decides from the current lease (nil if none), our identity, and how long ago we observed its
    /// current holder and renew time.
    public static func decide(lease: JSONValue?, identity: String, observedAgo: Duration, leaseDuration: Duration) -> LeaseDecision {
        guard let lease else { return .create }
        let holder = lease["spec"]?["holderIdentity"]?.stringValue ?? ""
        if holder == identity { return .renew }
        if holder.isEmpty { return .takeOver }
        let duration = lease["spec"]?["leaseDurationSeconds"]?.intValue.map { Duration.seconds($0) } ?? leaseDuration
        return observedAgo > duration ? .takeOver : .wait(holder: holder)
    }
}

/// Campaigns for a lease and runs work only while it holds it: a second candidate is a hot standby
/// that takes over when the leader stops renewing. CAS on the lease's resourceVersion guarantees two
/// candidates never both believe they lead for longer than the lease lasts.
public final class LeaderElector: Sendable {
    let client: RESTClient
    let config: LeaderElectionConfig
    let logger: Logger
    let path: ResourcePath

    public init(client: RESTClient, config: LeaderElectionConfig, logger: Logger) {
        self.client = client
        self.config = config
        self.logger = logger
        path = ResourcePath(group: "coordination.k8s.io", version: "v1", resource: "leases", namespace: config.namespace)
    }

    /// Acquires the lease (waiting as long as it takes), runs `lead` while renewing, and returns when
    /// leadership is lost (`lead` is cancelled) or `lead` returns. Loop to campaign again.
    public func runOnce(_ lead: @escaping @Sendable () async throws -> Void) async throws {
        var observed: (holder: String, renew: String, at: ContinuousClock.Instant)? = nil
        // Acquire.
        while true {
            try Task.checkCancellation()
            if try await attempt(&observed) { break }
            try await Task.sleep(for: config.retryPeriod)
        }
        logger.info("became leader", metadata: ["lease": "\(config.namespace)/\(config.name)", "identity": "\(config.identity)"])
        // Lead while renewing; stop if renewals fail for longer than the renew deadline.
        let acquired = observed
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await lead() }
            group.addTask {
                var observed = acquired
                var lastRenew = ContinuousClock.now
                while true {
                    try await Task.sleep(for: self.config.retryPeriod)
                    // A renewal that hangs must not keep us leading past the deadline (client-go bounds
                    // each renewal by the renew deadline too): others take over once the lease expires.
                    let remaining = self.config.renewDeadline - (ContinuousClock.now - lastRenew)
                    let renewed: Bool
                    (renewed, observed) = await self.attempt(observed, within: remaining)
                    if renewed {
                        lastRenew = ContinuousClock.now
                    } else if ContinuousClock.now - lastRenew > self.config.renewDeadline {
                        self.logger.warning("lost leadership: could not renew", metadata: ["lease": "\(self.config.name)"])
                        return
                    }
                }
            }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    /// One attempt that gives up (false) after `limit`; returns what was observed of the lease.
    func attempt(_ observed: (holder: String, renew: String, at: ContinuousClock.Instant)?, within limit: Duration) async
        -> (Bool, (holder: String, renew: String, at: ContinuousClock.Instant)?)
    {
        guard limit > .zero else { return (false, observed) }
        return await withTaskGroup(of: (Bool, (holder: String, renew: String, at: ContinuousClock.Instant)?)?.self) { group in
            group.addTask {
                var copy = observed
                let held = (try? await self.attempt(&copy)) ?? false
                return (held, copy)
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? (false, observed)
        }
    }

    /// One acquire-or-renew attempt; true when we hold the lease afterwards.
    func attempt(_ observed: inout (holder: String, renew: String, at: ContinuousClock.Instant)?) async throws -> Bool {
        let now = ContinuousClock.now
        var lease: JSONValue?
        do {
            lease = try await client.json(.GET, path.object(config.name))
        } catch let error as APIError where error.isNotFound {
            lease = nil
        }
        if let lease {
            let holder = lease["spec"]?["holderIdentity"]?.stringValue ?? ""
            let renew = lease["spec"]?["renewTime"]?.stringValue ?? ""
            if observed == nil || observed?.holder != holder || observed?.renew != renew { observed = (holder, renew, now) }
        }
        let ago = observed.map { now - $0.at } ?? .zero
        let stamp = Self.microTime(Date())
        let seconds = Int64(config.leaseDuration.components.seconds)
        switch LeaseElection.decide(lease: lease, identity: config.identity, observedAgo: ago, leaseDuration: config.leaseDuration) {
        case .wait:
            return false
        case .create:
            let body: JSONValue = [
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": ["name": .string(config.name), "namespace": .string(config.namespace)],
                "spec": ["holderIdentity": .string(config.identity), "leaseDurationSeconds": .int(seconds),
                         "acquireTime": .string(stamp), "renewTime": .string(stamp), "leaseTransitions": 0],
            ]
            do { _ = try await client.json(.POST, path.collection, body: body) } catch let error as APIError where error.isAlreadyExists {
                return false
            }
        case .renew, .takeOver:
            guard var updated = lease else { return false }
            let takingOver = updated["spec"]?["holderIdentity"]?.stringValue != config.identity
            updated.setValue(.string(config.identity), at: ["spec", "holderIdentity"])
            updated.setValue(.int(seconds), at: ["spec", "leaseDurationSeconds"])
            updated.setValue(.string(stamp), at: ["spec", "renewTime"])
            if takingOver {
                updated.setValue(.string(stamp), at: ["spec", "acquireTime"])
                let transitions = updated["spec"]?["leaseTransitions"]?.intValue ?? 0
                updated.setValue(.int(transitions + 1), at: ["spec", "leaseTransitions"])
            }
            do { _ = try await client.json(.PUT, path.object(config.name), body: updated) } catch let error as APIError where error.isConflict {
                return false
            }
        }
        observed = (config.identity, stamp, ContinuousClock.now)
        return true
    }

    /// Gives the lease up if this candidate holds it (holder cleared, one-second duration), as client-go
    /// does with `ReleaseOnCancel`, so a standby need not wait for it to expire. Call it from a task that
    /// is not cancelled: a cancelled task cannot send requests.
    public func release() async {
        let object = path.object(config.name)
        guard var lease = try? await client.json(.GET, object),
              lease["spec"]?["holderIdentity"]?.stringValue == config.identity
        else { return }
        let now = Self.microTime(Date())
        lease.setValue(nil, at: ["spec", "holderIdentity"])
        lease.setValue(1, at: ["spec", "leaseDurationSeconds"])
        lease.setValue(.string(now), at: ["spec", "renewTime"])
        lease.setValue(.string(now), at: ["spec", "acquireTime"])
        do {
            _ = try await client.json(.PUT, object, body: lease)
            logger.info("released the lease", metadata: ["lease": "\(config.namespace)/\(config.name)"])
        } catch {
            logger.debug("could not release the lease", metadata: ["error": "\(error)"])
        }
    }

    /// `metav1.MicroTime` text: RFC 3339 with microseconds, UTC.
    static func microTime(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC") ?? .current))
            .replacingOccurrences(of: #"\.(\d{3})Z$"#, with: ".$1000Z", options: .regularExpression)
    }
}
