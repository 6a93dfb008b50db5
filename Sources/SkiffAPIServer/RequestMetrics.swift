import Metrics
import Synchronization

/// The per-request metrics (`apiserver_request_total`, `apiserver_request_duration_seconds`) with their
/// handles kept: asking the metrics factory for a labelled handle on every request cost more than a
/// dictionary lookup here.
final class RequestMetrics: Sendable {
    private struct Key: Hashable {
        var verb: String
        var resource: String
        var code: Int
    }

    private struct Handles {
        var counters: [Key: Counter] = [:]
        var timers: [Key: Metrics.Timer] = [:]
    }

    private let handles = Mutex(Handles())

    /// Counts one request and records how long it took.
    func record(verb: String, resource: String, code: Int, nanoseconds: Int64) {
        let counterKey = Key(verb: verb, resource: resource, code: code)
        let timerKey = Key(verb: verb, resource: resource, code: 0)
        let (counter, timer) = handles.withLock { handles -> (Counter, Metrics.Timer) in
            let counter = handles.counters[counterKey] ?? {
                let made = Counter(label: "apiserver_request_total",
                                   dimensions: [("verb", verb), ("resource", resource), ("code", String(code))])
                handles.counters[counterKey] = made
                return made
            }()
            let timer = handles.timers[timerKey] ?? {
                let made = Metrics.Timer(label: "apiserver_request_duration_seconds",
                                         dimensions: [("verb", verb), ("resource", resource)])
                handles.timers[timerKey] = made
                return made
            }()
            return (counter, timer)
        }
        counter.increment()
        timer.recordNanoseconds(nanoseconds)
    }
}
