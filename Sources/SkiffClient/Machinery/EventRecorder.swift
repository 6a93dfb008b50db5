import Foundation
public import Logging
public import SkiffAPI
import Synchronization

/// Records `core/v1` Events about objects, as client-go's recorder with its `EventCorrelator` does:
/// an event identical to a recent one (same object, type, reason, message and source) increments that
/// event's `count` and `lastTimestamp` instead of creating another; recording never blocks the caller
/// (events are written by `run()`, in order).
public final class EventRecorder: Sendable {
    /// The object an event is about.
    public struct ObjectReference: Sendable, Hashable {
        public var apiVersion: String
        public var kind: String
        public var namespace: String
        public var name: String
        public var uid: String
        public var resourceVersion: String
        public var fieldPath: String

        public init(apiVersion: String, kind: String, namespace: String, name: String, uid: String = "",
                    resourceVersion: String = "", fieldPath: String = "") {
            self.apiVersion = apiVersion
            self.kind = kind
            self.namespace = namespace
            self.name = name
            self.uid = uid
            self.resourceVersion = resourceVersion
            self.fieldPath = fieldPath
        }

        /// The reference to an object given as JSON (its apiVersion, kind and metadata).
        public init(_ object: JSONValue) {
            let metadata = object["metadata"]
            self.init(apiVersion: object["apiVersion"]?.stringValue ?? "v1", kind: object["kind"]?.stringValue ?? "",
                      namespace: metadata?["namespace"]?.stringValue ?? "", name: metadata?["name"]?.stringValue ?? "",
                      uid: metadata?["uid"]?.stringValue ?? "", resourceVersion: metadata?["resourceVersion"]?.stringValue ?? "")
        }

        /// The reference to a typed object.
        public init<Object: KubernetesObject>(_ object: Object) {
            let metadata = object.metadata
            self.init(apiVersion: Object.apiVersion, kind: Object.kind, namespace: metadata?.namespace ?? "",
                      name: metadata?.name ?? "", uid: metadata?.uid ?? "", resourceVersion: metadata?.resourceVersion ?? "")
        }

        var json: JSONValue {
            var ref: JSONValue = ["kind": .string(kind), "namespace": .string(namespace), "name": .string(name),
                                  "uid": .string(uid), "apiVersion": .string(apiVersion), "resourceVersion": .string(resourceVersion)]
            if !fieldPath.isEmpty { ref["fieldPath"] = .string(fieldPath) }
            return ref
        }
    }

    struct Pending: Sendable {
        var object: ObjectReference
        var type: String
        var reason: String
        var message: String
        var at: Date
    }

    struct Recent {
        var name: String
        var namespace: String
        var count: Int64
        var first: String
        var at: Date
    }

    let client: RESTClient
    let component: String
    let host: String
    let logger: Logger
    /// How long an event stays eligible for counting (client-go: 10 minutes).
    let window: TimeInterval = 600
    let queue: AsyncStream<Pending>
    let continuation: AsyncStream<Pending>.Continuation
    let recent = Mutex<[String: Recent]>([:])
    /// While this says the component is busy, events wait, for at most `maximumHold` after they happened.
    let holdWhile: (@Sendable () -> Bool)?
    let maximumHold: Duration

    /// With `holdWhile`, events are written when it says the component is not busy (or once they are
    /// `maximumHold` old): they are best-effort, and their writes should not take the CPU from the work they
    /// report, as in a burst of pod starts.
    public init(client: RESTClient, component: String, host: String = "", logger: Logger,
                holdWhile: (@Sendable () -> Bool)? = nil, maximumHold: Duration = .seconds(1)) {
        self.client = client
        self.component = component
        self.host = host
        self.logger = logger
        self.holdWhile = holdWhile
        self.maximumHold = maximumHold
        (queue, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(10_000))
    }

    /// Records an event (`Normal` or `Warning`) about `object`; returns at once.
    public func record(_ object: ObjectReference, type: String, reason: String, message: String) {
        continuation.yield(Pending(object: object, type: type, reason: reason, message: message, at: Date()))
    }

    /// Writes recorded events until cancelled.
    public func run() async {
        let hold = maximumHold / .seconds(1)
        for await event in queue {
            if Task.isCancelled { break }
            if let holdWhile {
                while holdWhile(), Date().timeIntervalSince(event.at) < hold, !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
            await write(event)
        }
    }

    func write(_ event: Pending) async {
        let key = [event.object.namespace, event.object.kind, event.object.name, event.object.uid, event.object.fieldPath,
                   event.type, event.reason, event.message, component, host].joined(separator: "\u{0}")
        let now = Self.timestamp(event.at)
        let namespace = event.object.namespace.isEmpty ? "default" : event.object.namespace
        let events = ResourcePath(group: "", version: "v1", resource: "events", namespace: namespace)
        if let previous = recent.withLock({ $0[key] }), event.at.timeIntervalSince(previous.at) < window {
            let patch: JSONValue = ["count": .int(previous.count + 1), "lastTimestamp": .string(now)]
            do {
                _ = try await client.json(.PATCH, events.object(previous.name), body: patch,
                                          contentType: "application/merge-patch+json")
                recent.withLock { $0[key] = Recent(name: previous.name, namespace: namespace, count: previous.count + 1,
                                                   first: previous.first, at: event.at) }
                return
            } catch {
                // The event may have been deleted meanwhile: make a new one.
            }
        }
        let name = "\(event.object.name).\(String(UInt64(event.at.timeIntervalSince1970 * 1e9), radix: 16))"
        var source: JSONValue = ["component": .string(component)]
        if !host.isEmpty { source["host"] = .string(host) }
        let body: JSONValue = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "involvedObject": event.object.json, "reason": .string(event.reason), "message": .string(event.message),
            "source": source, "firstTimestamp": .string(now), "lastTimestamp": .string(now), "count": 1,
            "type": .string(event.type), "reportingComponent": .string(component), "reportingInstance": .string(host),
        ]
        do {
            _ = try await client.json(.POST, events.collection, body: body)
            recent.withLock { recent in
                recent[key] = Recent(name: name, namespace: namespace, count: 1, first: now, at: event.at)
                if recent.count > 4096 {
                    let cutoff = event.at.addingTimeInterval(-window)
                    recent = recent.filter { $0.value.at > cutoff }
                }
            }
        } catch {
            logger.debug("could not record event", metadata: ["reason": "\(event.reason)", "error": "\(error)"])
        }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC") ?? .current))
    }
}
