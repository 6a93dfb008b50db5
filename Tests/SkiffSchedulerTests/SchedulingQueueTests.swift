import Testing
@testable import SkiffScheduler

@Suite struct SchedulingQueueTests {
    @Test func popsByPriorityThenAge() {
        var queue = SchedulingQueue()
        let now = ContinuousClock.now
        queue.addOrUpdate(pod("old", created: 1), now: now)
        queue.addOrUpdate(pod("new", created: 2), now: now)
        queue.addOrUpdate(pod("urgent", priority: 10, created: 3), now: now)
        #expect(queue.pop()?.name == "urgent")
        #expect(queue.pop()?.name == "old")
        #expect(queue.pop()?.name == "new")
        #expect(queue.pop() == nil)
    }

    @Test func unschedulableWaitsForAnEventThenBackoff() {
        var queue = SchedulingQueue()
        let start = ContinuousClock.now
        queue.addOrUpdate(pod("p"), now: start)
        _ = queue.pop()
        queue.failed(key: "default/p", unschedulable: true, cycle: queue.schedulingCycle, now: start)
        #expect(queue.state(of: "default/p") == .unschedulable)
        queue.flush(now: start + .seconds(30))
        #expect(queue.state(of: "default/p") == .unschedulable)
        // A node event within the 1 s backoff: backoff first, then active.
        queue.moveAllToActiveOrBackoff(now: start + .milliseconds(500))
        #expect(queue.state(of: "default/p") == .backoff)
        queue.flush(now: start + .milliseconds(1001))
        #expect(queue.state(of: "default/p") == .active)
        #expect(queue.pop()?.name == "p")
    }

    @Test func eventDuringTheAttemptSendsToBackoff() {
        var queue = SchedulingQueue()
        let start = ContinuousClock.now
        queue.addOrUpdate(pod("p"), now: start)
        _ = queue.pop()
        let cycle = queue.schedulingCycle
        queue.moveAllToActiveOrBackoff(now: start)
        queue.failed(key: "default/p", unschedulable: true, cycle: cycle, now: start)
        #expect(queue.state(of: "default/p") == .backoff)
    }

    @Test func backoffDoublesToTenSeconds() {
        #expect(SchedulingQueue.backoffDuration(attempts: 1) == .seconds(1))
        #expect(SchedulingQueue.backoffDuration(attempts: 2) == .seconds(2))
        #expect(SchedulingQueue.backoffDuration(attempts: 4) == .seconds(8))
        #expect(SchedulingQueue.backoffDuration(attempts: 9) == .seconds(10))
    }

    @Test func updatesAndDeletes() {
        var queue = SchedulingQueue()
        let start = ContinuousClock.now
        queue.addOrUpdate(pod("p"), now: start)
        _ = queue.pop()
        queue.failed(key: "default/p", unschedulable: true, cycle: queue.schedulingCycle, now: start)
        // An identical update (our own status write) changes nothing; a real change moves the pod.
        queue.addOrUpdate(pod("p"), now: start + .seconds(5))
        #expect(queue.state(of: "default/p") == .unschedulable)
        queue.addOrUpdate(pod("p", cpu: 50), now: start + .seconds(5))
        #expect(queue.state(of: "default/p") == .active)
        queue.remove(key: "default/p")
        #expect(queue.pop() == nil)
    }
}
