import Synchronization

/// The snapshot the DNS server answers from, read on every query and replaced whole by whoever watches Services
/// and EndpointSlices. Empty until the first snapshot: names in the cluster domain then get SERVFAIL, as CoreDNS
/// answers before its informers have synced.
public final class ClusterDNSRecordsHolder: Sendable {
    private let state: Mutex<ClusterDNSRecords?>

    /// A holder serving `records`, or nothing yet when nil.
    public init(_ records: ClusterDNSRecords? = nil) {
        state = Mutex(records)
    }

    /// The snapshot in force; queries keep the one they read even if it is replaced meanwhile.
    public var current: ClusterDNSRecords? {
        state.withLock { $0 }
    }

    /// Makes `records` the snapshot every later query reads.
    public func replace(with records: ClusterDNSRecords) {
        state.withLock { $0 = records }
    }
}
