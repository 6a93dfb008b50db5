import Foundation
import SkiffAPI

/// Values the downward API exposes (env `fieldRef`/`resourceFieldRef`, `downwardAPI` volume items), worked
/// out as the kubelet's `podFieldSelectorRuntimeValue` and `containerResourceRuntimeValue` do.
struct DownwardAPI: Sendable {
    var pod: JSONValue
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
        let metadata = pod["metadata"]
        switch path {
        case "spec.nodeName": return pod["spec"]?["nodeName"]?.stringValue ?? ""
        case "spec.serviceAccountName": return pod["spec"]?["serviceAccountName"]?.stringValue ?? ""
        case "status.hostIP", "status.hostIPs": return hostIP
        case "status.podIP", "status.podIPs": return podIP
        case "metadata.name": return metadata?["name"]?.stringValue ?? ""
        case "metadata.namespace": return metadata?["namespace"]?.stringValue ?? ""
        case "metadata.uid": return metadata?["uid"]?.stringValue ?? ""
        case "metadata.labels": return Self.formatMap(metadata?["labels"])
        case "metadata.annotations": return Self.formatMap(metadata?["annotations"])
        default:
            for field in ["labels", "annotations"] {
                let prefix = "metadata.\(field)['"
                if path.hasPrefix(prefix), path.hasSuffix("']"), path.count > prefix.count + 2 {
                    let key = String(path.dropFirst(prefix.count).dropLast(2))
                    return metadata?[field]?[key]?.stringValue ?? ""
                }
            }
            throw Failure(description: "unsupported fieldPath: \(path)")
        }
    }

    /// A label or annotation map as the downward API writes it: `key="value"` lines, sorted by key, with
    /// Go's `%q` quoting.
    static func formatMap(_ map: JSONValue?) -> String {
        let entries = (map?.objectValue ?? [:]).compactMap { key, value in value.stringValue.map { (key, $0) } }
        return entries.sorted { $0.0 < $1.0 }.map { "\($0.0)=\(goQuote($0.1))" }.joined(separator: "\n")
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
    func resourceValue(_ ref: JSONValue, container: JSONValue?) throws(Failure) -> String {
        var target = container
        if let name = ref["containerName"]?.stringValue, !name.isEmpty {
            let all = (pod["spec"]?["containers"]?.arrayValue ?? []) + (pod["spec"]?["initContainers"]?.arrayValue ?? [])
            guard let found = all.first(where: { $0["name"]?.stringValue == name }) else {
                throw Failure(description: "container \(name) not found")
            }
            target = found
        }
        let resource = ref["resource"]?.stringValue ?? ""
        let divisor = ref["divisor"].map { Quantity($0.stringValue ?? $0.jsonString) }
        let resources = target?["resources"]
        func quantity(_ kind: String, _ name: String) -> Quantity? {
            resources?[kind]?[name].map { Quantity($0.stringValue ?? $0.jsonString) }
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
