import Foundation
import SkiffAPI

/// The pod's quality-of-service class, as `v1qos.GetPodQOS`: Guaranteed when every container limits and
/// requests CPU and memory alike, BestEffort when none asks for either, else Burstable.
enum PodQOS {
    static func podClass(_ pod: JSONValue) -> String {
        let spec = pod["spec"]
        let containers = (spec?["containers"]?.arrayValue ?? []) + (spec?["initContainers"]?.arrayValue ?? [])
        var requests: [String: Int64] = [:]
        var limits: [String: Int64] = [:]
        var guaranteed = true
        for container in containers {
            let resources = container["resources"]
            func amounts(_ kind: String) -> [String: Int64] {
                var out: [String: Int64] = [:]
                for name in ["cpu", "memory"] {
                    guard let value = resources?[kind]?[name] else { continue }
                    let milli = Quantity(value.stringValue ?? value.jsonString).milliValue ?? 0
                    if milli > 0 { out[name] = milli }
                }
                return out
            }
            let containerRequests = amounts("requests")
            let containerLimits = amounts("limits")
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
