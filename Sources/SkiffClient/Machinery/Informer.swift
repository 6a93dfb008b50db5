import SkiffAPI
public import Logging
import Synchronization

/// A change as an informer's handlers see it.
public enum InformerEvent<Object: InformerObject>: Sendable {
    case added(Object)
    /// Also delivered on relists and resyncs (then `old` and `new` may have the same resourceVersion).
    case updated(old: Object, new: Object)
    /// `finalStateUnknown`: the deletion was inferred from a relist; `object` is the last known state.
    case deleted(Object, finalStateUnknown: Bool)

    /// The object the event is about (the new one for updates).
    public var object: Object {
        switch self {
        case .added(let o), .updated(_, let o), .deleted(let o, _): return o
        }
    }
}

/// Reflector → DeltaFIFO → indexer and handlers: keeps a local cache of one collection and tells
/// subscribers about every change (client-go's `SharedIndexInformer`). Each subscriber has its own
/// unbounded stream, so a slow one never holds up the others or the cache.
public final class Informer<Object: InformerObject>: Sendable {
    public let indexer: Indexer<Object>
    let fifo: DeltaFIFO<Object>
    let listWatch: ListWatch<Object>
    let resyncPeriod: Duration?
    let logger: Logger
    /// Subscribers; held while the cache changes and events go out, so a new subscriber's replay of
    /// the cache and the live events that follow neither overlap nor leave a gap.
    let subscribers = Mutex<[UInt64: AsyncStream<InformerEvent<Object>>.Continuation]>([:])
    let nextID = Mutex<UInt64>(0)
    let processing = Mutex(false)

    public init(listWatch: ListWatch<Object>, indexers: [String: Indexer<Object>.IndexFunction] = [:],
                resyncPeriod: Duration? = nil, logger: Logger) {
        indexer = Indexer(indexers: indexers)
        fifo = DeltaFIFO(known: indexer)
        self.listWatch = listWatch
        self.resyncPeriod = resyncPeriod
        self.logger = logger
    }

    /// Whether the first list has been fully applied to the cache.
    public var hasSynced: Bool { fifo.hasSynced && !processing.withLock { $0 } }

    /// Waits until `hasSynced` (or cancellation).
    public func waitForSync() async {
        while !hasSynced && !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
    }

    /// A stream of every change from now on, preceded by an `added` for each object already cached.
    public func events() -> AsyncStream<InformerEvent<Object>> {
        let id = nextID.withLock { id -> UInt64 in
            id += 1
            return id
        }
        let (stream, continuation) = AsyncStream<InformerEvent<Object>>.makeStream(bufferingPolicy: .unbounded)
        subscribers.withLock { subscribers in
            for object in indexer.list() { continuation.yield(.added(object)) }
            subscribers[id] = continuation
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        return stream
    }

    /// Runs the reflector, the processing loop and the resync timer until cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await Reflector(listWatch: self.listWatch, fifo: self.fifo, logger: self.logger).run() }
            if let period = resyncPeriod {
                group.addTask {
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: period) } catch { return }
                        self.fifo.resync()
                    }
                }
            }
            group.addTask {
                await withTaskCancellationHandler {
                    await self.processLoop()
                } onCancel: {
                    self.fifo.close()
                }
            }
        }
        // Finish outside the lock: finishing runs each stream's termination handler, which takes it.
        let ended = subscribers.withLock { subscribers in
            defer { subscribers.removeAll() }
            return Array(subscribers.values)
        }
        for continuation in ended { continuation.finish() }
    }

    @_specialize(where Object == JSONValue)
    func processLoop() async {
        while let (key, deltas) = await fifo.pop() {
            processing.withLock { $0 = true }
            process(key: key, deltas: deltas)
            fifo.processed()
            processing.withLock { $0 = false }
        }
    }

    /// Applies one key's deltas to the cache and tells the subscribers (client-go's `processDeltas`).
    @_specialize(where Object == JSONValue)
    func process(key: String, deltas: [Delta<Object>]) {
        // The events are sent after the lock is let go: a consumer being cancelled holds its task's status lock
        // while its stream's termination handler waits for this lock, and a send may need that status lock to
        // resume the consumer (a deadlock seen in the test suite). A subscriber added meanwhile listed the
        // cache as updated here, so it misses nothing and sees nothing twice.
        let (events, receivers) = subscribers.withLock { subscribers -> ([InformerEvent<Object>], [AsyncStream<InformerEvent<Object>>.Continuation]) in
            var events: [InformerEvent<Object>] = []
            for delta in deltas {
                let event: InformerEvent<Object>
                switch delta.type {
                case .added, .updated, .replaced, .sync:
                    if let old = indexer.upsert(delta.object, key: key) {
                        event = .updated(old: old, new: delta.object)
                    } else {
                        event = .added(delta.object)
                    }
                case .deleted:
                    indexer.remove(key: key)
                    event = .deleted(delta.object, finalStateUnknown: delta.finalStateUnknown)
                }
                events.append(event)
            }
            return (events, Array(subscribers.values))
        }
        for continuation in receivers {
            for event in events { continuation.yield(event) }
        }
    }
}
