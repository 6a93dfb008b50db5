import Logging
import SkiffAPI
import SkiffClient
import Synchronization
import Testing

/// A ListWatch scripted by the test: lists return `objects`; watches replay `events` then end or fail.
final class ScriptedListWatch: Sendable {
    let state = Mutex<(lists: [[JSONValue]], watches: [[WatchEvent]], listCalls: Int, watchFrom: [String])>(([], [], 0, []))

    func listWatch() -> ListWatch<JSONValue> {
        ListWatch(
            list: { _ in
                let items = self.state.withLock { state -> [JSONValue] in
                    state.listCalls += 1
                    return state.lists.isEmpty ? [] : state.lists.removeFirst()
                }
                let rv = items.compactMap { Int($0.objectResourceVersion) }.max() ?? 1
                return ListPage(items: items, resourceVersion: String(rv), continueToken: nil)
            },
            watch: { rv in
                let events = self.state.withLock { state -> [WatchEvent]? in
                    state.watchFrom.append(rv)
                    return state.watches.isEmpty ? nil : state.watches.removeFirst()
                }
                return AsyncThrowingStream { continuation in
                    guard let events else { return }  // no more scripts: stay open
                    for event in events { continuation.yield(event) }
                    continuation.finish()
                }
            })
    }
}

func object(_ name: String, _ rv: Int, labels: JSONValue = [:]) -> JSONValue {
    ["metadata": ["name": .string(name), "namespace": "ns", "resourceVersion": .string(String(rv)), "labels": labels]]
}

@Suite struct InformerTests {
    @Test func listsThenWatchesAndNotifies() async throws {
        let script = ScriptedListWatch()
        script.state.withLock {
            $0.lists = [[object("a", 1), object("b", 2)]]
            $0.watches = [[WatchEvent(type: "MODIFIED", object: object("a", 3)), WatchEvent(type: "DELETED", object: object("b", 4)),
                           WatchEvent(type: "ADDED", object: object("c", 5))]]
        }
        let informer = Informer(listWatch: script.listWatch(), logger: Logger(label: "test"))
        let events = informer.events()
        let run = Task { await informer.run() }
        var seen: [String] = []
        for await event in events {
            switch event {
            case .added(let o): seen.append("add \(o.objectName)")
            case .updated(let old, let new): seen.append("update \(new.objectName) \(old.objectResourceVersion)->\(new.objectResourceVersion)")
            case .deleted(let o, _): seen.append("delete \(o.objectName)")
            }
            if seen.count == 5 { break }
        }
        // Deltas of one key arrive together, so only the order per object is fixed.
        #expect(seen.filter { $0.hasSuffix(" a") || $0.contains(" a ") } == ["add a", "update a 1->3"])
        #expect(seen.filter { $0.hasSuffix(" b") } == ["add b", "delete b"])
        #expect(seen.last == "add c")
        #expect(informer.hasSynced)
        #expect(informer.indexer.list().map(\.objectName).sorted() == ["a", "c"])
        #expect(informer.indexer.byIndex("namespace", "ns").count == 2)
        run.cancel()
        await run.value
    }

    @Test func goneWatchRelistsAndInfersDeletions() async throws {
        let script = ScriptedListWatch()
        script.state.withLock {
            $0.lists = [[object("a", 1), object("b", 2)], [object("a", 7)]]
            $0.watches = [[WatchEvent(type: "ERROR", object: APIError.expired("too old resource version: 2 (5)").status)]]
        }
        let informer = Informer(listWatch: script.listWatch(), logger: Logger(label: "test"))
        let events = informer.events()
        let run = Task { await informer.run() }
        var deletedB = false
        for await event in events {
            if case .deleted(let o, let unknown) = event, o.objectName == "b" {
                deletedB = unknown
                break
            }
        }
        #expect(deletedB)
        #expect(script.state.withLock { $0.listCalls } == 2)
        run.cancel()
        await run.value
    }

    @Test func customIndexesFollowChanges() {
        let indexer = Indexer<JSONValue>(indexers: ["app": { [$0.objectLabels["app"] ?? ""] }])
        indexer.upsert(object("a", 1, labels: ["app": "web"]))
        indexer.upsert(object("b", 1, labels: ["app": "web"]))
        #expect(indexer.byIndex("app", "web").count == 2)
        indexer.upsert(object("b", 2, labels: ["app": "db"]))
        #expect(indexer.byIndex("app", "web").map(\.objectName) == ["a"])
        indexer.remove(key: "ns/a")
        #expect(indexer.indexValues("app") == ["db"])
    }
}
