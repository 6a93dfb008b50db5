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

    /// The handler in a probe or hook (`exec`, `httpGet`, `tcpSocket`); nil for none or one not supported (grpc).
    init?(_ json: JSONValue?) {
        guard let json else { return nil }
        if let exec = json["exec"] {
            self = .exec((exec["command"]?.arrayValue ?? []).compactMap(\.stringValue))
        } else if let get = json["httpGet"] {
            let headers = (get["httpHeaders"]?.arrayValue ?? []).compactMap { header -> (name: String, value: String)? in
                guard let name = header["name"]?.stringValue else { return nil }
                return (name: name, value: header["value"]?.stringValue ?? "")
            }
            var path = get["path"]?.stringValue ?? "/"
            if !path.hasPrefix("/") { path = "/" + path }
            self = .httpGet(HTTPGet(scheme: (get["scheme"]?.stringValue ?? "HTTP").lowercased(),
                                    host: get["host"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }, path: path,
                                    port: Self.port(get["port"]), headers: headers))
        } else if let tcp = json["tcpSocket"] {
            self = .tcpSocket(host: tcp["host"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }, port: Self.port(tcp["port"]))
        } else {
            return nil
        }
    }

    static func port(_ json: JSONValue?) -> Port {
        if let number = json?.intValue { return .number(Int(number)) }
        let text = json?.stringValue ?? ""
        if let number = Int(text) { return .number(number) }
        return .name(text)
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

    init?(_ json: JSONValue?) {
        guard let json, let handler = ProbeHandler(json) else { return nil }
        func seconds(_ key: String, _ fallback: Int64, minimum: Int64) -> Duration {
            .seconds(max(json[key]?.intValue ?? fallback, minimum))
        }
        self.handler = handler
        initialDelay = seconds("initialDelaySeconds", 0, minimum: 0)
        period = seconds("periodSeconds", 10, minimum: 1)
        timeout = seconds("timeoutSeconds", 1, minimum: 1)
        thresholds = PodMachine.ProbeThresholds(success: Int(json["successThreshold"]?.intValue ?? 1),
                                                failure: Int(json["failureThreshold"]?.intValue ?? 3))
        terminationGrace = json["terminationGracePeriodSeconds"]?.intValue.map { .seconds($0) }
    }

    /// The `ContainerProbes` the pod machine counts with, for `container`, with the pod's grace period.
    static func machineProbes(container: JSONValue, podGrace: Duration) -> PodMachine.ContainerProbes {
        let liveness = ProbeSpec(container["livenessProbe"])
        let startup = ProbeSpec(container["startupProbe"])
        return PodMachine.ContainerProbes(readiness: ProbeSpec(container["readinessProbe"])?.thresholds,
                                          liveness: liveness?.thresholds, startup: startup?.thresholds,
                                          killGrace: liveness?.terminationGrace ?? startup?.terminationGrace ?? podGrace)
    }
}
