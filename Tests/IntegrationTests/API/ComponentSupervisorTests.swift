import Logging
import SkiffAPI
import SkiffClient
import SkiffTesting
import Synchronization
import Testing

/// A component that dies in `skiff server` is restarted with back-off, and `/readyz` fails naming it
/// meanwhile (as a dead scheduler once left `/readyz` at 200).
@Suite struct ComponentSupervisorTests {
    @Test func aDeadComponentTakesReadinessDownAndIsRestarted() async throws {
        try await TestAPIServer.withClient { client, server in
            #expect(await waitUntil { server.server.isReady })
            let runs = Mutex(0)
            let release = Mutex(false)
            struct Crash: Error {}
            let supervisor = ComponentSupervisor(
                name: "scheduler", backoff: ExponentialBackoff(base: .milliseconds(200), maximum: .seconds(1)),
                logger: Logger(label: "test"), health: { server.server.setComponentReady("scheduler", $0) }
            ) {
                let run = runs.withLock { $0 += 1; return $0 }
                // The first two runs crash; the third stays up until the test lets it go.
                if run < 3 { throw Crash() }
                while !release.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(20)) }
            }
            let task = Task { await supervisor.run() }

            #expect(await waitUntil(timeout: .seconds(10)) { !server.server.isReady })
            let down = try await client.send(.GET, "/readyz", query: [("verbose", "true")])
            let report = String(decoding: down.body, as: UTF8.self)
            #expect(down.status.code == 500, "\(report)")
            #expect(report.contains("[-]component/scheduler failed"), "\(report)")

            // Restarted after its back-off; once running, ready again.
            #expect(await waitUntil(timeout: .seconds(10)) { runs.withLock { $0 } == 3 && server.server.isReady })
            let up = try await client.send(.GET, "/readyz", query: [("verbose", "true")])
            #expect(up.status.code == 200)
            #expect(String(decoding: up.body, as: UTF8.self).contains("[+]component/scheduler ok"))

            // A component that returns on its own is restarted too (only cancellation ends the supervisor).
            release.withLock { $0 = true }
            #expect(await waitUntil(timeout: .seconds(10)) { runs.withLock { $0 } >= 4 })
            task.cancel()
            await task.value
        }
    }
}
