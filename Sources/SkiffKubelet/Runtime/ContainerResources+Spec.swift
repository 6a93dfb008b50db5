import SkiffAPI

extension ContainerResources {
    /// The cgroup limits of a pod spec's container, as the kubelet computes them: memory limit in bytes,
    /// `cpu.shares` from the CPU request (the limit when only that is given; 2 for none), CFS quota from
    /// the CPU limit (at least 1 ms per period).
    init(containerSpec spec: core.v1.Container) {
        let resources = spec.resources
        func quantity(_ group: String, _ name: String) -> Quantity? {
            (group == "limits" ? resources?.limits : resources?.requests)?[name]
        }
        self.init()
        memoryLimitBytes = quantity("limits", "memory")?.value
        let requestMilli = (quantity("requests", "cpu") ?? quantity("limits", "cpu"))?.milliValue
        cpuShares = UInt64(max(2, (requestMilli ?? 0) * 1024 / 1000))
        if let limitMilli = quantity("limits", "cpu")?.milliValue, limitMilli > 0 {
            cpuQuotaMicros = max(1000, limitMilli * Int64(cpuPeriodMicros) / 1000)
        }
    }
}
