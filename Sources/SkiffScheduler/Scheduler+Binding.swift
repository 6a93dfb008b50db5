import Foundation
import SkiffAPI
import SkiffClient

extension Scheduler {
    func reference(_ pod: PodInfo) -> EventRecorder.ObjectReference {
        EventRecorder.ObjectReference(apiVersion: "v1", kind: "Pod", namespace: pod.namespace, name: pod.name, uid: pod.uid)
    }

    /// Binds through `pods/binding`; on failure the assumption is undone and the pod retried after backoff.
    func bind(_ pod: PodInfo, to node: String, cycle: Int) async {
        do {
            try await client.pods(pod.namespace).bind(pod.name, to: node)
            recorder.record(reference(pod), type: "Normal", reason: "Scheduled",
                            message: "Successfully assigned \(pod.namespace)/\(pod.name) to \(node)")
        } catch {
            logger.debug("binding failed", metadata: ["pod": "\(pod.key)", "node": "\(node)", "error": "\(error)"])
            let gone = (error as? APIError)?.code == 404
            let now = ContinuousClock.now
            state.withLock { state in
                state.cache.forget(key: pod.key)
                if !gone { state.queue.addBackingOff(pod, now: now) }
                state.queue.moveAllToActiveOrBackoff(now: now)
            }
            wake.yield()
        }
    }

    /// `FailedScheduling` event and the `PodScheduled=False` condition, as upstream's failure handler writes them.
    func reportUnschedulable(_ pod: PodInfo, _ error: FitError) async {
        let message = error.description
        recorder.record(reference(pod), type: "Warning", reason: "FailedScheduling", message: message)
        let condition: JSONValue = [
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": .string(message),
            "lastProbeTime": .null,
            "lastTransitionTime": .string(Date().formatted(.iso8601)),
        ]
        let patch: JSONValue = ["status": ["conditions": [condition]]]
        do {
            _ = try await client.pods(pod.namespace).patch(pod.name, .strategic(patch), subresource: "status")
        } catch {
            logger.debug("could not update pod status", metadata: ["pod": "\(pod.key)", "error": "\(error)"])
        }
    }
}
