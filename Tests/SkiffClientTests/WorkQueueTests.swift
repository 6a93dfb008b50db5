import SkiffClient
import SkiffTesting
import Testing

@Suite struct WorkQueueTests {
    @Test func isFairAndStingy() async {
        let queue = WorkQueue<String, ContinuousClock>()
        await queue.add("a")
        await queue.add("b")
        await queue.add("a")
        #expect(await queue.count == 2)
        #expect(await queue.get() == "a")
        #expect(await queue.get() == "b")
    }

    @Test func neverHandsOneKeyToTwoWorkers() async {
        let queue = WorkQueue<String, ContinuousClock>()
        await queue.add("a")
        let first = await queue.get()
        await queue.add("a")  // re-added while processing: waits for done
        #expect(await queue.count == 0)
        await queue.done("a")
        #expect(first == "a")
        #expect(await queue.count == 1)
        #expect(await queue.get() == "a")
    }

    @Test func delaysAndBacksOffOnTheInjectedClock() async throws {
        let clock = ManualClock()
        let queue = WorkQueue<String, ManualClock>(clock: clock, rateLimiter: ExponentialBackoff(base: .seconds(1), maximum: .seconds(8)))
        await queue.addRateLimited("k")
        await queue.addRateLimited("k")  // second failure: 2 s, but the earlier 1 s schedule stays
        #expect(await queue.requeues("k") == 2)
        while clock.sleeperCount == 0 { await Task.yield() }
        #expect(await queue.count == 0)
        clock.advance(by: .seconds(1))
        while await queue.count == 0 { await Task.yield() }
        #expect(await queue.get() == "k")
        await queue.forget("k")
        #expect(await queue.requeues("k") == 0)
        #expect(ExponentialBackoff(base: .seconds(1), maximum: .seconds(8)).delay(forFailures: 10) == .seconds(8))
    }

    @Test func shutdownDrainsThenEnds() async {
        let queue = WorkQueue<Int, ContinuousClock>()
        await queue.add(1)
        await queue.shutDown()
        await queue.add(2)
        #expect(await queue.get() == 1)
        #expect(await queue.get() == nil)
    }

    @Test func waitingWorkerGetsANewKey() async {
        let queue = WorkQueue<Int, ContinuousClock>()
        let worker = Task { await queue.get() }
        await Task.yield()
        await queue.add(7)
        #expect(await worker.value == 7)
    }
}
