import Foundation
import SkiffAPI

/// What to do to check a container (a probe's or a lifecycle hook's handler), read from the pod spec.
enum ProbeHandler: Sendable, Equatable {
    enum Port: Sendable, Equatable, CustomStringConvertible {
        case number(Int)
        case name(String)

        var description: String {
            switch self {
            case .number(let number): String(number)
            case .name(let name): name
            }
        }
    }

    struct HTTPGet: Sendable, Equatable {
        var scheme: String
        var host: String?
        var path: String
        var port: Port
        var headers: [(name: String, value: String)]

        static func == (lhs: HTTPGet, rhs: HTTPGet) -> Bool {
            lhs.scheme == rhs.scheme && lhs.host == rhs.host && lhs.path == rhs.path && lhs.port == rhs.port
                && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
        }
    }

    case exec([String])
    case httpGet(HTTPGet)
    case tcpSocket(host: String?, port: Port)

    /// The handler in a probe (`exec`, `httpGet`, `tcpSocket`); nil for none or one not supported (grpc).
    init?(_ probe: core.v1.Probe?) {
        guard let probe else { return nil }
        self.init(exec: probe.exec, httpGet: probe.httpGet, tcpSocket: probe.tcpSocket)
    }

    /// The handler in a lifecycle hook; nil for none or one not supported (sleep).
    init?(_ hook: core.v1.LifecycleHandler?) {
        guard let hook else { return nil }
        self.init(exec: hook.exec, httpGet: hook.httpGet, tcpSocket: hook.tcpSocket)
    }

    private init?(exec: core.v1.ExecAction?, httpGet: core.v1.HTTPGetAction?, tcpSocket: core.v1.TCPSocketAction?) {
        if let exec {
            self = .exec(exec.command ?? [])
        } else if let get = httpGet {
            let headers = (get.httpHeaders ?? []).map { (name: $0.name, value: $0.value) }
            var path = get.path ?? "/"
            if !path.hasPrefix("/") { path = "/" + path }
            self = .httpGet(HTTPGet(scheme: (get.scheme ?? "HTTP").lowercased(), host: get.host.flatMap { $0.isEmpty ? nil : $0 },
                                    path: path, port: Self.port(get.port), headers: headers))
        } else if let tcp = tcpSocket {
            self = .tcpSocket(host: tcp.host.flatMap { $0.isEmpty ? nil : $0 }, port: Self.port(tcp.port))
        } else {
            return nil
        }
    }

    /// A number, or a name (a string of digits is a number, as upstream's `FindPort` reads it).
    static func port(_ port: IntOrString) -> Port {
        switch port {
        case .int(let number): return .number(Int(number))
        case .string(let text): return Int(text).map(Port.number) ?? .name(text)
        }
    }
}

/// A container's probe: its handler and timing, defaulted as the API does (period 10 s, timeout 1 s,
/// success 1, failure 3).
struct ProbeSpec: Sendable, Equatable {
    var handler: ProbeHandler
    var initialDelay: Duration
    var period: Duration
    var timeout: Duration
    var thresholds: PodMachine.ProbeThresholds
    /// The probe's own `terminationGracePeriodSeconds`, overriding the pod's when it kills.
    var terminationGrace: Duration?

    init?(_ probe: core.v1.Probe?) {
        guard let probe, let handler = ProbeHandler(probe) else { return nil }
        func seconds(_ value: Int32?, _ fallback: Int32, minimum: Int32) -> Duration {
            .seconds(max(value ?? fallback, minimum))
        }
        self.handler = handler
        initialDelay = seconds(probe.initialDelaySeconds, 0, minimum: 0)
        period = seconds(probe.periodSeconds, 10, minimum: 1)
        timeout = seconds(probe.timeoutSeconds, 1, minimum: 1)
        thresholds = PodMachine.ProbeThresholds(success: Int(probe.successThreshold ?? 1),
                                                failure: Int(probe.failureThreshold ?? 3))
        terminationGrace = probe.terminationGracePeriodSeconds.map { .seconds($0) }
    }

    /// The `ContainerProbes` the pod machine counts with, for `container`, with the pod's grace period.
    static func machineProbes(container: core.v1.Container, podGrace: Duration) -> PodMachine.ContainerProbes {
        let liveness = ProbeSpec(container.livenessProbe)
        let startup = ProbeSpec(container.startupProbe)
        return PodMachine.ContainerProbes(readiness: ProbeSpec(container.readinessProbe)?.thresholds,
                                          liveness: liveness?.thresholds, startup: startup?.thresholds,
                                          killGrace: liveness?.terminationGrace ?? startup?.terminationGrace ?? podGrace)
    }
}
