import SkiffAPI

/// What the kubelet reads of a typed pod, with the defaults the API gives an absent field.
extension core.v1.Pod {
    /// `spec.containers`.
    var containers: [core.v1.Container] { spec?.containers ?? [] }
    /// `spec.initContainers`.
    var initContainers: [core.v1.Container] { spec?.initContainers ?? [] }
    /// `spec.volumes`.
    var volumes: [core.v1.Volume] { spec?.volumes ?? [] }

    /// `spec.terminationGracePeriodSeconds`, 30 when absent (the API's default).
    var terminationGracePeriod: Int64 { spec?.terminationGracePeriodSeconds ?? 30 }

    /// The container or init container named `name` (containers first, as the kubelet looks them up).
    func container(named name: String) -> core.v1.Container? {
        containers.first { $0.name == name } ?? initContainers.first { $0.name == name }
    }
}

extension core.v1.Container {
    /// An init container that restarts `Always`: a native sidecar, running beside the containers.
    var isSidecar: Bool { restartPolicy == "Always" }

    /// The container's probe of `kind`.
    func probe(_ kind: PodMachine.ProbeKind) -> core.v1.Probe? {
        switch kind {
        case .liveness: livenessProbe
        case .readiness: readinessProbe
        case .startup: startupProbe
        }
    }
}

extension core.v1.Node {
    /// The `Ready` condition is `True`.
    var isReady: Bool {
        (status?.conditions ?? []).contains { $0.type == "Ready" && $0.status == "True" }
    }
}
