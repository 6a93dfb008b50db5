import Foundation
import SkiffAPI
import SkiffClient

/// The collections the workload controllers read and write.
enum WorkloadResources {
    static let pods = ResourcePath(group: "", version: "v1", resource: "pods")
    static let replicaSets = ResourcePath(group: "apps", version: "v1", resource: "replicasets")
    static let deployments = ResourcePath(group: "apps", version: "v1", resource: "deployments")
}

extension ResourcePath {
    /// This collection's path in `namespace`.
    func collection(in namespace: String) -> String {
        var copy = self
        copy.namespace = namespace
        return copy.collection
    }
}

/// Well-known labels and annotations (upstream's `apps/v1` constants).
public enum WorkloadAnnotations {
    public static let podTemplateHash = "pod-template-hash"
    public static let revision = "deployment.kubernetes.io/revision"
    public static let revisionHistory = "deployment.kubernetes.io/revision-history"
    public static let desiredReplicas = "deployment.kubernetes.io/desired-replicas"
    public static let maxReplicas = "deployment.kubernetes.io/max-replicas"
}

/// Read-only accessors over the JSON objects informers hold (pods, ReplicaSets, Deployments), so a
/// sync touches only the fields it needs instead of decoding whole models.
extension JSONValue {
    var uid: String { self["metadata"]?["uid"]?.stringValue ?? "" }
    var generation: Int64 { self["metadata"]?["generation"]?.intValue ?? 0 }
    var isBeingDeleted: Bool { self["metadata"]?["deletionTimestamp"].map { !$0.isNull } ?? false }
    var annotations: [String: String] {
        var result: [String: String] = [:]
        for (k, v) in self["metadata"]?["annotations"]?.objectValue ?? [:] { if let s = v.stringValue { result[k] = s } }
        return result
    }
    var creationDate: Date { parseKubernetesTime(self["metadata"]?["creationTimestamp"]?.stringValue) ?? .distantPast }
    var ownerReferences: [JSONValue] { self["metadata"]?["ownerReferences"]?.arrayValue ?? [] }

    /// The owner reference with `controller: true`, if any.
    var controllerReference: JSONValue? {
        ownerReferences.first { $0["controller"]?.boolValue == true }
    }

    /// `spec.replicas` (defaulted to 1 by the API server; 1 when absent as upstream's default).
    var specReplicas: Int { Int(self["spec"]?["replicas"]?.intValue ?? 1) }
    func statusInt(_ field: String) -> Int { Int(self["status"]?[field]?.intValue ?? 0) }
    var minReadySeconds: Int { Int(self["spec"]?["minReadySeconds"]?.intValue ?? 0) }
}

/// Pod facts the ReplicaSet controller decides on.
extension JSONValue {
    var podPhase: String { self["status"]?["phase"]?.stringValue ?? "" }
    var nodeName: String { self["spec"]?["nodeName"]?.stringValue ?? "" }

    /// Not terminated and not being deleted (upstream's `FilterActivePods`).
    var isActivePod: Bool { podPhase != "Succeeded" && podPhase != "Failed" && !isBeingDeleted }

    /// The `Ready` condition, when present.
    var readyCondition: JSONValue? {
        self["status"]?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Ready" }
    }
    var isPodReady: Bool { readyCondition?["status"]?.stringValue == "True" }
    var readySince: Date? { parseKubernetesTime(readyCondition?["lastTransitionTime"]?.stringValue) }

    /// Ready for at least `minReadySeconds` at `now` (upstream's `IsPodAvailable`).
    func isPodAvailable(minReadySeconds: Int, now: Date) -> Bool {
        guard isPodReady else { return false }
        if minReadySeconds == 0 { return true }
        guard let since = readySince else { return false }
        return since.addingTimeInterval(TimeInterval(minReadySeconds)) <= now
    }

    var restartCount: Int {
        (self["status"]?["containerStatuses"]?.arrayValue ?? []).reduce(0) { $0 + Int($1["restartCount"]?.intValue ?? 0) }
    }
}

/// The owner reference a controller puts on what it creates or adopts.
func controllerOwnerReference(to owner: JSONValue, apiVersion: String, kind: String) -> JSONValue {
    ["apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(owner.objectName),
     "uid": .string(owner.uid), "controller": true, "blockOwnerDeletion": true]
}

/// A merge patch setting `object`'s owner references, preconditioned on the uid and resourceVersion
/// they were computed from. No references left removes the field (null), as upstream's omitempty does.
func ownerReferencesPatch(of object: JSONValue, to references: [JSONValue]) -> JSONValue {
    ["metadata": ["uid": .string(object.uid), "resourceVersion": .string(object.objectResourceVersion),
                  "ownerReferences": references.isEmpty ? .null : .array(references)]]
}

/// Parses RFC 3339 (with or without fractional seconds) as the API server writes times.
func parseKubernetesTime(_ text: String?) -> Date? {
    guard let text, !text.isEmpty else { return nil }
    if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
    return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
}

/// RFC 3339 in UTC, seconds precision (`metav1.Time`).
func formatKubernetesTime(_ date: Date) -> String {
    date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC") ?? .current))
}

/// A label selector read from an object's `spec.selector` (an invalid one selects nothing, as
/// upstream's controllers treat a selector they cannot parse).
func specSelector(of object: JSONValue) -> LabelSelector {
    (try? LabelSelector(object: object["spec"]?["selector"])) ?? .nothing
}
