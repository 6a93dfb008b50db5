import Foundation
import SkiffAPI

extension ContainerResources {
    /// The cgroup settings of a container's `resources`, as the kubelet's container config computes them:
    /// `limits.memory` in bytes, `cpu.shares` from the CPU request (milliCPU × 1024 / 1000, at least 2; the
    /// limit stands in for a missing request), CFS quota from the CPU limit over a 100 ms period (at least 1 ms).
    init(spec container: JSONValue) {
        let resources = container["resources"]
        func quantity(_ kind: String, _ name: String) -> Quantity? {
            resources?[kind]?[name].map { Quantity($0.stringValue ?? $0.jsonString) }
        }
        self.init()
        memoryLimitBytes = quantity("limits", "memory")?.value
        let request = quantity("requests", "cpu")?.milliValue ?? quantity("limits", "cpu")?.milliValue ?? 0
        cpuShares = Self.milliCPUToShares(request)
        if let limit = quantity("limits", "cpu")?.milliValue, limit > 0 {
            cpuQuotaMicros = Self.milliCPUToQuota(limit, period: Int64(cpuPeriodMicros))
        }
    }

    static let minShares: UInt64 = 2
    static let minQuotaMicros: Int64 = 1000

    static func milliCPUToShares(_ milliCPU: Int64) -> UInt64 {
        guard milliCPU > 0 else { return minShares }
        return max(UInt64(milliCPU) * 1024 / 1000, minShares)
    }

    static func milliCPUToQuota(_ milliCPU: Int64, period: Int64) -> Int64 {
        max(milliCPU * period / 1000, minQuotaMicros)
    }
}

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
