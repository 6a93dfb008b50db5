import Foundation
import SkiffAPI

/// Values the downward API exposes (env `fieldRef`/`resourceFieldRef`, `downwardAPI` volume items), worked
/// out as the kubelet's `podFieldSelectorRuntimeValue` and `containerResourceRuntimeValue` do.
struct DownwardAPI: Sendable {
    var pod: core.v1.Pod
    var hostIP: String
    /// The pod's IP (the host's for the process runtime and host-network pods).
    var podIP: String
    /// Node allocatable, used for a limit the container does not set (`defaultPodLimitsForDownwardAPI`).
    var allocatableMilliCPU: Int64
    var allocatableMemory: Int64

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The value of a `fieldRef.fieldPath`; unknown paths fail as upstream's `unsupported fieldPath`.
    func fieldValue(_ path: String) throws(Failure) -> String {
        let metadata = pod.metadata
        switch path {
        case "spec.nodeName": return pod.nodeName
        case "spec.serviceAccountName": return pod.spec?.serviceAccountName ?? ""
        case "status.hostIP", "status.hostIPs": return hostIP
        case "status.podIP", "status.podIPs": return podIP
        case "metadata.name": return metadata?.name ?? ""
        case "metadata.namespace": return metadata?.namespace ?? ""
        case "metadata.uid": return pod.uid
        case "metadata.labels": return Self.formatMap(metadata?.labels)
        case "metadata.annotations": return Self.formatMap(metadata?.annotations)
        default:
            for (field, map) in [("labels", metadata?.labels), ("annotations", metadata?.annotations)] {
                let prefix = "metadata.\(field)['"
                if path.hasPrefix(prefix), path.hasSuffix("']"), path.count > prefix.count + 2 {
                    let key = String(path.dropFirst(prefix.count).dropLast(2))
                    return map?[key] ?? ""
                }
            }
            throw Failure(description: "unsupported fieldPath: \(path)")
        }
    }

    /// A label or annotation map as the downward API writes it: `key="value"` lines, sorted by key, with
    /// Go's `%q` quoting.
    static func formatMap(_ map: [String: String]?) -> String {
        (map ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\(goQuote($0.value))" }.joined(separator: "\n")
    }

    static func goQuote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    out += String(format: "\\x%02x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// The value of a `resourceFieldRef` (`limits.cpu`, `requests.memory` …) of `container` (or of the
    /// container it names), divided by `divisor` and rounded up, as upstream's `ExtractContainerResourceValue`.
    func resourceValue(_ ref: core.v1.ResourceFieldSelector, container: core.v1.Container?) throws(Failure) -> String {
        var target = container
        if let name = ref.containerName, !name.isEmpty {
            guard let found = pod.container(named: name) else {
                throw Failure(description: "container \(name) not found")
            }
            target = found
        }
        let resource = ref.resource
        let divisor = ref.divisor
        let resources = target?.resources
        func quantity(_ kind: String, _ name: String) -> Quantity? {
            (kind == "limits" ? resources?.limits : resources?.requests)?[name]
        }
        func ceilDiv(_ a: Int64, _ b: Int64) -> String {
            guard b > 0 else { return String(a) }
            return String(a / b + (a % b > 0 ? 1 : 0))
        }
        switch resource {
        case "limits.cpu", "requests.cpu":
            let kind = resource.hasPrefix("limits") ? "limits" : "requests"
            var milli = quantity(kind, "cpu")?.milliValue
                ?? (kind == "requests" ? quantity("limits", "cpu")?.milliValue : nil)
            if milli == nil, kind == "limits" { milli = allocatableMilliCPU }
            let by = divisor?.milliValue.flatMap { $0 > 0 ? $0 : nil } ?? 1000
            return ceilDiv(milli ?? 0, by)
        case "limits.memory", "requests.memory", "limits.ephemeral-storage", "requests.ephemeral-storage":
            let kind = resource.hasPrefix("limits") ? "limits" : "requests"
            let name = resource.hasSuffix("memory") ? "memory" : "ephemeral-storage"
            var bytes = quantity(kind, name)?.value ?? (kind == "requests" ? quantity("limits", name)?.value : nil)
            if bytes == nil, kind == "limits", name == "memory" { bytes = allocatableMemory }
            let by = divisor?.value.flatMap { $0 > 0 ? $0 : nil } ?? 1
            return ceilDiv(bytes ?? 0, by)
        default:
            throw Failure(description: "unsupported container resource : \(resource)")
        }
    }
}
