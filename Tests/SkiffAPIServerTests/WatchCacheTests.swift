import Testing
@testable import SkiffAPIServer
import SkiffAPI

@Suite struct EventWindowTests {
    func object(_ name: String, _ revision: Int64) -> CachedObject {
        CachedObject(key: "/registry/configmaps/ns/\(name)", namespace: "ns", name: name, revision: revision, json: [],
                     labels: [:], fields: [:])
    }

    @Test func replaysEventsAfterARevision() throws {
        var window = EventWindow(capacity: 3, coveredAfter: 10)
        for rev in Int64(11)...13 { window.append(CacheEvent(kind: .added, object: object("a\(rev)", rev), previous: nil)) }
        #expect(try #require(window.events(after: 10)).map(\.revision) == [11, 12, 13])
        #expect(try #require(window.events(after: 12)).map(\.revision) == [13])
        window.append(CacheEvent(kind: .added, object: object("a14", 14), previous: nil))
        #expect(window.events(after: 10) == nil, "revision 11 was evicted")
        #expect(try #require(window.events(after: 11)).map(\.revision) == [12, 13, 14])
    }

    @Test func watcherTurnsFilterChangesIntoAddedAndDeleted() async {
        let filter = WatchFilter(namespace: nil, name: nil, matchesSelectors: { $0.labels["app"] == "web" })
        let (watcher, stream) = CacheWatcher.make(id: 1, filter: filter, capacity: 10)
        func labelled(_ app: String, _ rev: Int64) -> CachedObject {
            CachedObject(key: "k", namespace: "ns", name: "p", revision: rev, json: Array(#"{"metadata":{"name":"p"}}"#.utf8),
                         labels: ["app": app], fields: [:])
        }
        watcher.deliver(CacheEvent(kind: .added, object: labelled("db", 1), previous: nil))
        watcher.deliver(CacheEvent(kind: .modified, object: labelled("web", 2), previous: labelled("db", 1)))
        watcher.deliver(CacheEvent(kind: .modified, object: labelled("web", 3), previous: labelled("web", 2)))
        watcher.deliver(CacheEvent(kind: .modified, object: labelled("db", 4), previous: labelled("web", 3)))
        watcher.end()
        var seen: [String] = []
        for await delivery in stream {
            if case .event(let type, let object) = delivery { seen.append("\(type)@\(object.revision)") }
        }
        #expect(seen == ["ADDED@2", "MODIFIED@3", "DELETED@4"])
    }

    @Test func slowWatcherIsEnded() async {
        let (watcher, stream) = CacheWatcher.make(id: 1, filter: .everything, capacity: 2)
        for rev in Int64(1)...5 {
            watcher.deliver(CacheEvent(kind: .added, object: object("o\(rev)", rev), previous: nil))
        }
        var count = 0
        for await _ in stream { count += 1 }
        #expect(count == 2)
    }
}
