import Foundation
import Synchronization

/// What a controller is waiting to see in its informer after creating or deleting pods (upstream's
/// `UIDTrackingControllerExpectations`): while a ReplicaSet's expectations are unmet its sync does
/// not create or delete again, so pods created but not yet observed are never created twice.
/// Expectations older than `timeout` count as met, so a lost watch event cannot wedge a controller.
final class ControllerExpectations: Sendable {
    struct Entry {
        var adds: Int
        var deletions: Set<String>
        var since: Date
    }

    let entries = Mutex<[String: Entry]>([:])
    let timeout: TimeInterval

    /// Expectations expiring after `timeout` seconds (upstream: 5 minutes).
    init(timeout: TimeInterval = 300) { self.timeout = timeout }

    /// Whether `key` may act: nothing expected, everything observed, or the expectations expired.
    func satisfied(_ key: String, now: Date = Date()) -> Bool {
        entries.withLock { entries in
            guard let entry = entries[key] else { return true }
            return (entry.adds <= 0 && entry.deletions.isEmpty) || now.timeIntervalSince(entry.since) > timeout
        }
    }

    /// Expects `count` pods to be created (replacing earlier expectations).
    func expectCreations(_ key: String, count: Int, now: Date = Date()) {
        entries.withLock { $0[key] = Entry(adds: count, deletions: [], since: now) }
    }

    /// Expects the pods with `podKeys` to be deleted (replacing earlier expectations).
    func expectDeletions(_ key: String, podKeys: Set<String>, now: Date = Date()) {
        entries.withLock { $0[key] = Entry(adds: 0, deletions: podKeys, since: now) }
    }

    /// A create was seen (or will never happen: a failed or skipped create lowers the count too).
    func creationObserved(_ key: String) {
        entries.withLock { entries in entries[key]?.adds -= 1 }
    }

    /// The deletion of `podKey` was seen (or failed).
    func deletionObserved(_ key: String, podKey: String) {
        _ = entries.withLock { entries in entries[key]?.deletions.remove(podKey) }
    }

    /// Forgets `key` (its owner was deleted).
    func delete(_ key: String) {
        _ = entries.withLock { $0.removeValue(forKey: key) }
    }

    /// Pending creations and deletions of `key` (for tests and logs).
    func pending(_ key: String) -> (adds: Int, deletions: Int)? {
        entries.withLock { entries in entries[key].map { ($0.adds, $0.deletions.count) } }
    }
}
