public import Logging
public import SkiffClient

/// A control loop the controller manager runs (upstream's `controller.Interface` plus its init function).
/// A value describing the controller: `run` builds all its state afresh from the shared informers, so a
/// controller that fails or loses leadership and runs again loses no work.
public protocol Controller: Sendable {
    /// The name in logs and `--controllers` (upstream's, e.g. `garbage-collector-controller`).
    var name: String { get }

    /// Runs until the task is cancelled. Returning or throwing counts as a crash: the manager logs it
    /// and runs the controller again after a backoff.
    func run(context: ControllerContext) async throws
}

/// What every controller of one leadership term shares: the API client, the informers (one watch per
/// resource for all controllers), the event recorders and the clock every wait and timestamp comes from.
public struct ControllerContext: Sendable {
    public let client: RESTClient
    public let informers: SharedInformerFactory
    public let events: EventRecorders
    public let logger: Logger
    /// Queue delays, grace periods and written timestamps: the system clock, or a manual one in tests.
    public let clock: ControllerClock

    public init(client: RESTClient, informers: SharedInformerFactory, events: EventRecorders, logger: Logger,
                clock: ControllerClock = .system) {
        self.client = client
        self.informers = informers
        self.events = events
        self.logger = logger
        self.clock = clock
    }

    /// A work queue whose delays and back-offs run on this context's clock.
    public func queue(name: String, backoff: ExponentialBackoff = ExponentialBackoff()) -> WorkQueue<String, ControllerClock> {
        WorkQueue(clock: clock, rateLimiter: backoff, name: name)
    }

    /// The server's resources, read now (controllers that watch "everything" call this periodically).
    public func discover() async throws -> DiscoveredResources {
        try await ResourceDiscovery(client: client).discover()
    }
}
