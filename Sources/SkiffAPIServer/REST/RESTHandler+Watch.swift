import Foundation
import NIOCore
import NIOHTTP1
import SkiffAPI
import SkiffStorage

extension RESTHandler {
    /// Per-watcher buffer: a watcher this far behind is ended and re-watches.
    static let watcherCapacity = 10_000
    /// Bookmarks go out about this often to watchers that asked for them.
    static let bookmarkInterval: Duration = .seconds(60)

    /// Streams watch events: replayed from the cache window (or the store's history for older
    /// revisions), or a synthetic ADDED per object for resourceVersion "0"/unset, then live events.
    func watch(_ request: RESTRequest, writer: HTTPResponseWriter) async throws {
        try requireVerb(request)
        let resource = request.resource
        var format = try request.output()
        if format == .yaml { format = .json }  // watch streams are JSON, as upstream's are
        try ListOptions.validate(request, watch: true)
        let filter = try Selectors.filter(for: request)
        let bookmarks = request.bool("allowWatchBookmarks")
        let sendInitialEvents = request.bool("sendInitialEvents")
        let timeout = try request.integer("timeoutSeconds").map { Duration.seconds($0) }
            ?? .seconds(Int64.random(in: 1800..<3600))
        let resourceVersion = request.query["resourceVersion"] ?? ""

        let stream: AsyncStream<WatchDelivery>
        let watcher: CacheWatcher?
        /// The watcher fed from the store's history, when the cache's window is too short.
        var pumped: CacheWatcher?
        var storageWatch: Task<Void, Never>?
        let id = UInt64.random(in: 0..<UInt64.max)
        if resourceVersion.isEmpty || resourceVersion == "0" || sendInitialEvents {
            if resourceVersion.isEmpty || sendInitialEvents { try await hub.waitUntilFresh() }
            var made: (CacheWatcher, AsyncStream<WatchDelivery>)?
            let (w, revision) = resource.cache.watchFromSnapshot(namespace: filter.namespace, hubRevision: hub.revision) { id, initial in
                // Room for the initial events on top of the live ones.
                let pair = CacheWatcher.make(id: id, filter: filter, capacity: Self.watcherCapacity + initial)
                made = pair
                return pair.0
            }
            guard let made else { throw APIError.internalError("watch setup failed") }
            watcher = w
            stream = made.1
            if sendInitialEvents && bookmarks { w.send(.bookmark(revision: revision, initialEventsEnd: true)) }
        } else {
            let revision = try ListOptions.revision(resourceVersion)
            var made: (CacheWatcher, AsyncStream<WatchDelivery>)?
            let w = resource.cache.watch(after: revision, hubRevision: hub.revision) { id, initial in
                // Room for the initial events on top of the live ones.
                let pair = CacheWatcher.make(id: id, filter: filter, capacity: Self.watcherCapacity + initial)
                made = pair
                return pair.0
            }
            if let w, let made {
                watcher = w
                stream = made.1
            } else {
                // Older than the cache's window: replay the store's history (410 if compacted).
                let compacted = try await store.compactedRevision()
                guard revision >= compacted else {
                    throw APIError.expired("too old resource version: \(revision) (\(compacted))")
                }
                let pair = CacheWatcher.make(id: id, filter: filter, capacity: Self.watcherCapacity)
                watcher = nil
                pumped = pair.0
                stream = pair.1
                storageWatch = Task { await self.pumpStorage(resource: resource, namespace: filter.namespace, after: revision, into: pair.0) }
            }
        }
        defer {
            if let watcher { resource.cache.removeWatcher(watcher.id) }
            storageWatch?.cancel()
        }

        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Cache-Control", value: "no-cache, private")
        let body = try await writer.startStream(status: .ok, headers: headers)
        // A client that stops reading leaves the writer waiting on its socket: once its watcher falls too
        // far behind, the connection is closed, as upstream ends an unresponsive watcher.
        let channel = writer.channel
        let sink = watcher ?? pumped
        sink?.whenOverflowing { channel.close(promise: nil) }
        let encoder = ResponseEncoder(resource: resource, format: format, now: clock())
        let pump = storageWatch

        await withTaskGroup(of: Void.self) { group in
            // Timer: bookmarks and the watch's end.
            group.addTask {
                let deadline = ContinuousClock.now + timeout
                while ContinuousClock.now < deadline {
                    let next = min(deadline, ContinuousClock.now + Self.bookmarkInterval)
                    do { try await Task.sleep(until: next) } catch { return }
                    if bookmarks, ContinuousClock.now < deadline {
                        sink?.send(.bookmark(revision: max(self.hub.revision, 0), initialEventsEnd: false))
                    }
                }
                sink?.end()
                pump?.cancel()
            }
            group.addTask {
                for await delivery in stream {
                    sink?.taken(delivery)
                    let buffer: ByteBuffer
                    switch delivery {
                    case .event(let type, let object):
                        guard let b = try? encoder.watchEvent(type: type, object: object, allocator: body.allocator) else { continue }
                        buffer = b
                    case .bookmark(let revision, let end):
                        buffer = encoder.bookmark(revision: revision, initialEventsEnd: end, allocator: body.allocator)
                    case .error(let error):
                        buffer = ResponseEncoder.errorEvent(error, allocator: body.allocator)
                    }
                    do { try await body.write(buffer) } catch { break }
                }
            }
            await group.next()
            group.cancelAll()
        }
        await body.end()
    }

    /// Feeds a watcher from the store's own watch (history older than the cache window, then live).
    func pumpStorage(resource: ServedResource, namespace: String?, after revision: Int64, into watcher: CacheWatcher) async {
        do {
            for try await event in store.watch(prefix: resource.prefix(namespace: namespace), afterRevision: revision) {
                let object = try CachedObject(stored: event.value, fieldsOf: resource.fields)
                let previous = try event.previous.map { try CachedObject(stored: $0, fieldsOf: resource.fields) }
                let kind: CacheEvent.Kind
                switch event.kind {
                case .created: kind = .added
                case .updated: kind = .modified
                case .deleted: kind = .deleted
                }
                watcher.deliver(CacheEvent(kind: kind, object: object, previous: previous))
            }
            watcher.end()
        } catch let error as StoreError where error.isCompacted {
            watcher.fail(.expired("too old resource version: \(revision) (\(error.compactedRevision ?? 0))"))
        } catch {
            watcher.fail(.internalError("\(error)"))
        }
    }
}
