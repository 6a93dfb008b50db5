import Foundation
import Logging
import SkiffClient
import SkiffTesting
import Synchronization
import Testing

/// Events held back while their component is busy, against a real API server.
struct EventRecorderHoldTests {
    func events(_ client: RESTClient) async throws -> [String] {
        let list = try await client.json(.GET, "/api/v1/namespaces/default/events")
        return (list["items"]?.arrayValue ?? []).compactMap { $0["reason"]?.stringValue }
    }

    @Test func eventsWaitWhileBusyAndAtMostTheirHold() async throws {
        try await TestAPIServer.withClient { client, _ in
            let busy = Mutex(true)
            let held = EventRecorder(client: client, component: "test", logger: Logger(label: "test"),
                                     holdWhile: { busy.withLock { $0 } }, maximumHold: .seconds(30))
            let capped = EventRecorder(client: client, component: "test", logger: Logger(label: "test"),
                                       holdWhile: { true }, maximumHold: .milliseconds(300))
            let writers = [Task { await held.run() }, Task { await capped.run() }]
            let object = EventRecorder.ObjectReference(apiVersion: "v1", kind: "Pod", namespace: "default", name: "p")
            held.record(object, type: "Normal", reason: "WhileBusy", message: "m")
            capped.record(object, type: "Normal", reason: "Capped", message: "m")
            // The capped one is written once it is 300 ms old, busy or not; the other waits.
            #expect(await waitUntil(timeout: .seconds(10)) { try await self.events(client).contains("Capped") })
            let early = try await events(client)
            #expect(!early.contains("WhileBusy"))
            busy.withLock { $0 = false }
            #expect(await waitUntil(timeout: .seconds(10)) { try await self.events(client).contains("WhileBusy") })
            for writer in writers { writer.cancel() }
        }
    }
}
