import Foundation
public import Logging
public import SkiffClient
import Synchronization

/// One event recorder per reporting component (`replicaset-controller`, `namespace-controller`, …), so
/// events name the controller that reported them, as upstream's do. Runs the recorders it hands out.
public final class EventRecorders: Sendable {
    let client: RESTClient
    let host: String
    let logger: Logger
    let recorders = Mutex<[String: EventRecorder]>([:])
    let starts: AsyncStream<EventRecorder>
    let startContinuation: AsyncStream<EventRecorder>.Continuation

    /// Recorders that report from `host` (nil: this machine's name).
    public init(client: RESTClient, host: String? = nil, logger: Logger) {
        self.client = client
        self.host = host ?? ProcessInfo.processInfo.hostName
        self.logger = logger
        (starts, startContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// The recorder of `component` (made on first use).
    public func recorder(component: String) -> EventRecorder {
        recorders.withLock { recorders in
            if let existing = recorders[component] { return existing }
            let recorder = EventRecorder(client: client, component: component, host: host, logger: logger)
            recorders[component] = recorder
            startContinuation.yield(recorder)
            return recorder
        }
    }

    /// Writes the events of every recorder handed out, until cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await recorder in starts {
                group.addTask { await recorder.run() }
            }
            group.cancelAll()
        }
    }
}
