import Logging
import SkiffClient
import SkiffTesting
import Synchronization
import Testing

/// The reconciler runtime: keys from sources reach the reconciler after the caches synced, `.after` looks
/// again on the queue's (manual) clock, failures retry with back-off, terminal errors do not, and
/// cancellation ends the run.
@Suite struct ReconcileRunnerTests {
    final class Calls: Sendable {
        let keys = Mutex<[String]>([])
        func record(_ key: String) { keys.withLock { $0.append(key) } }
        func count(_ key: String) -> Int { keys.withLock { $0.filter { $0 == key }.count } }
    }

    @Test func requeueAfterRetryAndTerminalErrors() async throws {
        let clock = ManualClock()
        let queue = WorkQueue<String, ManualClock>(clock: clock, rateLimiter: ExponentialBackoff(base: .seconds(1), maximum: .seconds(8)))
        let calls = Calls()
        let synced = Mutex(false)
        struct Flaky: Error {}
        let reconciler = ReconcileFunction { key in
            #expect(synced.withLock { $0 }, "no key before the caches synced")
            calls.record(key)
            switch key {
            case "periodic": return .after(.seconds(30))
            case "flaky": if calls.count("flaky") < 3 { throw Flaky() }; return .done
            case "bad": throw TerminalError(Flaky())
            default: return .done
            }
        }
        let runner = ReconcileRunner(
            name: "test", reconciler: reconciler, queue: queue, workers: 2,
            caches: [{ try? await Task.sleep(for: .milliseconds(50)); synced.withLock { $0 = true } }],
            sources: [{ for key in ["periodic", "flaky", "bad", "once"] { await queue.add(key) } }],
            logger: Logger(label: "test"))
        let run = Task { await runner.run() }

        #expect(await waitUntil(timeout: .seconds(10)) { calls.count("once") == 1 && calls.count("bad") == 1 && calls.count("flaky") == 1 })
        // The first retry of "flaky" waits for its back-off (1 s) on the manual clock; so does the 30 s look.
        #expect(await waitUntil(timeout: .seconds(10)) { clock.sleeperCount > 0 })
        clock.advance(by: .seconds(1))
        #expect(await waitUntil(timeout: .seconds(10)) { calls.count("flaky") == 2 })
        clock.advance(by: .seconds(2))
        #expect(await waitUntil(timeout: .seconds(10)) { calls.count("flaky") == 3 })
        #expect(calls.count("periodic") == 1)
        clock.advance(by: .seconds(30))
        #expect(await waitUntil(timeout: .seconds(10)) { calls.count("periodic") == 2 })
        clock.advance(by: .seconds(60))
        #expect(await waitUntil(timeout: .seconds(10)) { calls.count("periodic") == 3 })
        // A terminal error is not retried however far time goes; success ends the retries too.
        #expect(calls.count("bad") == 1 && calls.count("flaky") == 3 && calls.count("once") == 1)
        #expect(await queue.requeues("flaky") == 0)

        run.cancel()
        await run.value
        #expect(await queue.isShuttingDown)
    }
}
