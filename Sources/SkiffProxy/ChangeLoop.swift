import SkiffClient

/// An informer a change loop follows: waited for before the first run, and any event asks for another.
protocol ChangeSource: Sendable {
    func waitForSync() async
    func forEachChange(_ notify: @escaping @Sendable () -> Void) async
}

extension Informer: ChangeSource {
    func forEachChange(_ notify: @escaping @Sendable () -> Void) async {
        for await _ in events() { notify() }
    }
}

/// The loop the proxy, the cluster DNS, the policy enforcer and the node routes share: `body` runs once every
/// source has synced and again after changes, those arriving while it runs coalesced into one more run, until
/// the task is cancelled. The factory is run too when the component owns it; with a `period`, `onPeriod` is
/// called and a run asked for every period (a whole-table rewrite); `alongside` runs beside the loop.
enum ChangeLoop {
    static func run(_ sources: [any ChangeSource], owned factory: SharedInformerFactory?, period: Duration? = nil,
                    onPeriod: @escaping @Sendable () -> Void = {}, alongside: (@Sendable () async -> Void)? = nil,
                    _ body: @escaping @Sendable () async -> Void) async {
        let (changes, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        await withDiscardingTaskGroup { group in
            if let factory { group.addTask { try? await factory.run() } }
            if let alongside { group.addTask { await alongside() } }
            for source in sources { group.addTask { await source.forEachChange { signal.yield() } } }
            group.addTask {
                for source in sources { await source.waitForSync() }
                signal.yield()
                for await _ in changes { await body() }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: period ?? .seconds(3600))
                    guard let _ = period, !Task.isCancelled else { continue }
                    onPeriod()
                    signal.yield()
                }
                signal.finish()
            }
        }
    }
}
