import Foundation
import SkiffAPI

/// The pod's quality-of-service class, as `v1qos.GetPodQOS`: Guaranteed when every container limits and
/// requests CPU and memory alike, BestEffort when none asks for either, else Burstable.
enum PodQOS {
    static func podClass(_ pod: core.v1.Pod) -> String {
        let containers = pod.containers + pod.initContainers
        var requests: [String: Int64] = [:]
        var limits: [String: Int64] = [:]
        var guaranteed = true
        for container in containers {
            func amounts(_ quantities: [String: Quantity]?) -> [String: Int64] {
                var out: [String: Int64] = [:]
                for name in ["cpu", "memory"] {
                    guard let value = quantities?[name] else { continue }
                    let milli = value.milliValue ?? 0
                    if milli > 0 { out[name] = milli }
                }
                return out
            }
            let containerRequests = amounts(container.resources?.requests)
            let containerLimits = amounts(container.resources?.limits)
            requests.merge(containerRequests, uniquingKeysWith: +)
            limits.merge(containerLimits, uniquingKeysWith: +)
            if containerLimits.count < 2 { guaranteed = false }
            // A missing request defaults to the limit.
            for (name, limit) in containerLimits where (containerRequests[name] ?? limit) != limit { guaranteed = false }
        }
        if requests.isEmpty && limits.isEmpty { return "BestEffort" }
        return guaranteed ? "Guaranteed" : "Burstable"
    }
}
