import Foundation
import SkiffAPI
import SkiffClient
import Logging
import Synchronization

/// `skiff bench informer`: how many watch events per second an informer turns into handler calls —
/// reflector, DeltaFIFO, indexer (namespace index plus one custom index) and every subscriber's stream —
/// fed by a scripted ListWatch, so the figure is the client machinery's alone (no network, no server).
/// With `decode`, each event carries its object's JSON bytes, which the reflector decodes (into `JSONValue`,
/// or with `typed` into `core.v1.Pod`), as with a watch over HTTP.
public enum InformerBenchmark {
    public struct Options: Sendable {
        public var objects = 10_000
        public var events = 200_000
        public var handlers = 3
        public var decode = true
        /// Decode each event into the typed model (`core.v1.Pod`) instead of keeping it as `JSONValue`.
        public var typed = false

        public init() {}
    }

    public struct Result: Sendable {
        public var events: Int
        /// Handler calls made (events × handlers).
        public var delivered: Int
        public var seconds: Double
        public var eventsPerSecond: Double { Double(events) / seconds }
    }

    /// A pod as a Deployment's ReplicaSet makes it, scheduled and running: the size informers mostly see.
    static func pod(_ index: Int, resourceVersion: Int) -> String {
        """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-7d4b9c8f6-\(index)","generateName":"web-7d4b9c8f6-",\
        "namespace":"ns-\(index % 50)","uid":"5f1e7c2a-0000-4000-8000-\(String(format: "%012d", index))",\
        "resourceVersion":"\(resourceVersion)","creationTimestamp":"2026-12-06T10:00:00Z",\
        "labels":{"app":"web","pod-template-hash":"7d4b9c8f6"},"ownerReferences":[{"apiVersion":"apps/v1",\
        "kind":"ReplicaSet","name":"web-7d4b9c8f6","uid":"0b6f8f0e-1111-4000-8000-000000000001","controller":true,\
        "blockOwnerDeletion":true}]},"spec":{"containers":[{"name":"web","image":"nginx:1.25","ports":[{"containerPort":80,\
        "protocol":"TCP"}],"resources":{"requests":{"cpu":"100m","memory":"64Mi"}},"terminationMessagePath":\
        "/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always",\
        "terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","nodeName":\
        "node-\(index % 1000)","schedulerName":"default-scheduler","priority":0,"enableServiceLinks":true,\
        "preemptionPolicy":"PreemptLowerPriority"},"status":{"phase":"Running","conditions":[{"type":"Ready",\
        "status":"True","lastTransitionTime":"2026-12-06T10:00:02Z"}],"hostIP":"10.0.0.2","podIP":"10.244.1.\(index % 250)",\
        "startTime":"2026-12-06T10:00:01Z","containerStatuses":[{"name":"web","state":{"running":{"startedAt":\
        "2026-12-06T10:00:02Z"}},"ready":true,"restartCount":\(resourceVersion % 7),"image":"nginx:1.25","imageID":"",\
        "containerID":"simulated://\(index)","started":true}],"qosClass":"Burstable"}}
        """
    }

    public static func run(_ options: Options) async throws -> Result {
        if options.typed {
            return try await run(options, as: core.v1.Pod.self) { [$0.spec?.nodeName ?? ""] }
        }
        return try await run(options, as: JSONValue.self) { [$0["spec"]?["nodeName"]?.stringValue ?? ""] }
    }

    /// The benchmark with the informer holding `Object`s (decoded from each event's JSON in the reflector).
    static func run<Object: InformerObject>(_ options: Options, as type: Object.Type,
                                            nodeIndex: @escaping Indexer<Object>.IndexFunction) async throws -> Result {
        let objects = max(1, options.objects)
        let listed = try (0..<objects).map { try JSONValue(parsing: pod($0, resourceVersion: 1)) }
        // Events are made while the informer runs, as a server would send them; the lines are built ahead
        // so only the parse (when asked) is in the measured path.
        let lines: [[UInt8]] = options.decode
            ? (0..<min(options.events, 20_000)).map { Array(pod($0 % objects, resourceVersion: 2 + $0).utf8) } : []
        let template = listed
        let total = options.events
        let decode = options.decode
        let gate = Gate()
        let items = try template.map { try Object(informerJSON: $0) }
        let listWatch = ListWatch<Object>(
            list: { _ in ListPage(items: items, resourceVersion: "1", continueToken: nil) },
            watch: { _ in
                AsyncThrowingStream { continuation in
                    let producer = Task {
                        // Nothing flows until the handlers are subscribed and the clock runs.
                        while !gate.isOpen { try? await Task.sleep(for: .milliseconds(1)) }
                        for sequence in 0..<total {
                            if decode {
                                // Decoded from its bytes in the watch's own task, as `ListWatch.rest` does over HTTP.
                                var event = WatchEvent(type: "MODIFIED", objectBytes: lines[sequence % lines.count])
                                try event.predecode(Object.self, transform: nil)
                                continuation.yield(event)
                            } else {
                                var object = template[sequence % objects]
                                object.setValue(.string(String(2 + sequence)), at: ["metadata", "resourceVersion"])
                                continuation.yield(WatchEvent(type: "MODIFIED", object: object))
                            }
                            if sequence % 1024 == 0 { await Task.yield() }
                        }
                        // The watch stays open, as a server's does, until the benchmark ends.
                        while !Task.isCancelled { try? await Task.sleep(for: .seconds(1)) }
                    }
                    continuation.onTermination = { _ in producer.cancel() }
                }
            })
        var logger = Logger(label: "skiff.bench.informer")
        logger.logLevel = .warning
        let informer = Informer(listWatch: listWatch, indexers: ["node": nodeIndex], logger: logger)
        let running = Task { await informer.run() }
        defer { running.cancel() }
        await informer.waitForSync()
        let streams = (0..<max(1, options.handlers)).map { _ in informer.events() }
        let start = ContinuousClock.now
        gate.open()
        let delivered = await withTaskGroup(of: Int.self) { group in
            for stream in streams {
                group.addTask {
                    var count = 0
                    var updates = 0
                    for await event in stream {
                        count += 1
                        if case .updated = event {
                            updates += 1
                            if updates == total { break }
                        }
                    }
                    return count
                }
            }
            return await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        // The replayed `added` events of the initial cache are not part of the measured stream.
        return Result(events: total, delivered: delivered - objects * streams.count, seconds: seconds)
    }
}

/// A one-way latch the benchmark opens when the measurement starts.
final class Gate: Sendable {
    private let state = Mutex(false)
    var isOpen: Bool { state.withLock { $0 } }
    func open() { state.withLock { $0 = true } }
}
