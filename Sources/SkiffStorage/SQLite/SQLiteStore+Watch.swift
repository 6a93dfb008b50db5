import Synchronization

extension SQLiteStore {
    /// Replays the changes after `revision` from the table, page by page as the consumer reads them, then
    /// the live events the writer published since the watch began, in revision order.
    public func watch(prefix: String, afterRevision revision: Int64) -> AsyncThrowingStream<StoreEvent, any Error> {
        switch hub.subscribe(prefix: prefix, after: revision) {
        case .closed:
            return AsyncThrowingStream { $0.finish() }
        case .failed(let error):
            return AsyncThrowingStream { $0.finish(throwing: error) }
        case .subscribed(let subscription, let replayUpTo):
            let cursor = WatchCursor(readers: readers, hub: hub, subscription: subscription, prefix: prefix,
                                     after: revision, replayUpTo: replayUpTo)
            return AsyncThrowingStream(unfolding: { try await cursor.next() })
        }
    }
}

/// One watch's position: first in the stored history (read in pages, so a long replay costs no more
/// memory than a page and goes at the consumer's pace), then in its live subscription.
///
/// The stream calls `next()` from one task at a time. When the stream is dropped the cursor goes with
/// it and unsubscribes.
final class WatchCursor: Sendable {
    static let pageSize = 500

    let readers: SQLiteReaderPool
    let hub: WatchHub
    let subscription: WatchSubscription
    let range: KeyRange
    /// Live events at or before this are not wanted (a watch may start at a revision not yet reached).
    let after: Int64
    /// History covers (after, replayUpTo]; the subscription delivers everything later.
    let replayUpTo: Int64

    struct State {
        /// The last revision delivered from history; `nil` once history is done.
        var historyPosition: Int64?
        var page: [StoreEvent] = []
        var pageIndex = 0
    }

    let state: Mutex<State>

    init(readers: SQLiteReaderPool, hub: WatchHub, subscription: WatchSubscription, prefix: String, after: Int64,
         replayUpTo: Int64) {
        self.readers = readers
        self.hub = hub
        self.subscription = subscription
        range = KeyRange(prefix: prefix)
        self.after = after
        self.replayUpTo = replayUpTo
        state = Mutex(State(historyPosition: after < replayUpTo ? after : nil))
    }

    deinit { hub.unsubscribe(subscription.id) }

    private enum Step {
        case event(StoreEvent)
        case readPage(after: Int64)
        case live
    }

    func next() async throws -> StoreEvent? {
        while true {
            let step = state.withLock { state -> Step in
                if state.pageIndex < state.page.count {
                    defer { state.pageIndex += 1 }
                    return .event(state.page[state.pageIndex])
                }
                if let position = state.historyPosition { return .readPage(after: position) }
                state.page = []
                return .live
            }
            switch step {
            case .event(let event):
                return event
            case .readPage(let position):
                let events = try await readers.read { [range, replayUpTo] connection throws(StoreError) in
                    try SQLiteReads.history(connection, range: range, after: position, upTo: replayUpTo,
                                            limit: Self.pageSize)
                }
                state.withLock { state in
                    state.historyPosition = events.count < Self.pageSize ? nil : events[events.count - 1].revision
                    state.page = events
                    state.pageIndex = 0
                }
            case .live:
                while true {
                    guard let event = try await subscription.next() else { return nil }
                    if event.revision > after { return event }
                }
            }
        }
    }
}
