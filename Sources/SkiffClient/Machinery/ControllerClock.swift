public import Foundation

/// The time a controller sees: a monotonic clock for its queue's delays and grace periods, and the wall
/// time it writes into objects (`lastTransitionTime`, `startTime`). The system clock in production; a
/// `ManualClock` in tests, so a test steps through a 40-second grace period or a back-off without sleeping
/// (upstream passes `clock.PassiveClock`/`clock.WithTicker` into controllers for the same reason).
public struct ControllerClock: Clock, Sendable {
    /// An instant as a distance from the clock's origin, so both backends share one instant type.
    public struct Instant: InstantProtocol, Sendable {
        public var offset: Duration
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
        public static func - (lhs: Instant, rhs: Instant) -> Duration { lhs.offset - rhs.offset }
        public static func + (lhs: Instant, rhs: Duration) -> Instant { lhs.advanced(by: rhs) }
    }

    enum Backend: Sendable {
        case system(origin: ContinuousClock.Instant)
        case manual(ManualClock, startDate: Date)
    }

    let backend: Backend

    /// The machine's clocks.
    public static var system: ControllerClock { ControllerClock(backend: .system(origin: ContinuousClock.now)) }

    /// Time that moves only when the test calls `manual.advance(by:)`; `date` starts at `startDate`.
    public static func manual(_ manual: ManualClock, startDate: Date = Date(timeIntervalSince1970: 1_800_000_000)) -> ControllerClock {
        ControllerClock(backend: .manual(manual, startDate: startDate))
    }

    public var now: Instant {
        switch backend {
        case .system(let origin): Instant(offset: ContinuousClock.now - origin)
        case .manual(let manual, _): Instant(offset: manual.now.offset)
        }
    }

    /// The wall time, for timestamps written into objects.
    public var date: Date {
        switch backend {
        case .system: Date()
        case .manual(let manual, let start):
            start.addingTimeInterval(Double(manual.now.offset.components.seconds)
                                     + Double(manual.now.offset.components.attoseconds) / 1e18)
        }
    }

    public var minimumResolution: Duration {
        switch backend {
        case .system: ContinuousClock().minimumResolution
        case .manual: .nanoseconds(1)
        }
    }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        switch backend {
        case .system(let origin):
            try await ContinuousClock().sleep(until: origin + deadline.offset, tolerance: tolerance)
        case .manual(let manual, _):
            try await manual.sleep(until: ManualClock.Instant(offset: deadline.offset), tolerance: tolerance)
        }
    }
}
