import Foundation

/// Process-wide resource limits a long-running command sets at start.
enum ProcessLimits {
    /// Raises the soft limit on open files to the hard limit, as Go's runtime does for every Go server since
    /// 1.19: the usual soft limit of 1,024 is reached by a thousand idle connections, and a server that can
    /// no longer accept cannot be reached by its administrator either. Returns the limit now in force.
    @discardableResult
    static func raiseOpenFileLimit() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(limit.rlim_cur)
    }
}
