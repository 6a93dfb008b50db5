public import Foundation
public import SkiffAPI

/// Metadata facts every controller asks of a typed object, with the zero values apimachinery's Go
/// structs give an absent field.
extension KubernetesObject {
    /// `metadata.uid` ("" when absent).
    public var uid: String { metadata?.uid ?? "" }
    /// `metadata.generation` (0 when absent).
    public var generation: Int64 { metadata?.generation ?? 0 }
    /// A `deletionTimestamp` is set: finalizers or a grace period are running.
    public var isBeingDeleted: Bool { metadata?.deletionTimestamp.map { !$0.isZero } ?? false }
    public var annotations: [String: String] { metadata?.annotations ?? [:] }
    /// `creationTimestamp` as an instant (the distant past when absent, so it sorts first).
    public var creationDate: Date { metadata?.creationTimestamp?.date ?? .distantPast }
    public var ownerReferences: [meta.v1.OwnerReference] { metadata?.ownerReferences ?? [] }

    /// The owner reference with `controller: true`, if any.
    public var controllerReference: meta.v1.OwnerReference? {
        metadata?.ownerReferences?.first { $0.controller == true }
    }

    /// The owner reference a controller puts on what it creates or adopts (`metav1.NewControllerRef`).
    public var controllerOwnerReference: meta.v1.OwnerReference {
        meta.v1.OwnerReference(apiVersion: Self.apiVersion, blockOwnerDeletion: true, controller: true,
                               kind: Self.kind, name: metadata?.name ?? "", uid: uid)
    }
}

extension meta.v1.OwnerReference {
    /// The API group of `apiVersion` ("" for the core group).
    public var group: String {
        guard let slash = apiVersion.firstIndex(of: "/") else { return "" }
        return String(apiVersion[..<slash])
    }
}

/// Pod facts the workload controllers decide on (upstream's `podutil`).
extension core.v1.Pod {
    public var phase: String { status?.phase ?? "" }
    public var nodeName: String { spec?.nodeName ?? "" }

    /// Succeeded or Failed: no container of the pod runs again.
    public var isTerminated: Bool { phase == "Succeeded" || phase == "Failed" }

    /// Not terminated and not being deleted (upstream's `FilterActivePods`).
    public var isActive: Bool { !isTerminated && !isBeingDeleted }

    /// The condition of `type`, when present.
    public func condition(_ type: String) -> core.v1.PodCondition? {
        status?.conditions?.first { $0.type == type }
    }

    /// The `Ready` condition is `True` (upstream's `IsPodReady`).
    public var isReady: Bool { condition("Ready")?.status == "True" }

    /// When the pod last became ready.
    public var readySince: Date? { condition("Ready")?.lastTransitionTime?.date }

    /// Ready for at least `minReadySeconds` at `now` (upstream's `IsPodAvailable`).
    public func isAvailable(minReadySeconds: Int, now: Date) -> Bool {
        guard isReady else { return false }
        if minReadySeconds == 0 { return true }
        guard let since = readySince else { return false }
        return since.addingTimeInterval(TimeInterval(minReadySeconds)) <= now
    }

    /// Restarts of all its containers.
    public var restartCount: Int {
        (status?.containerStatuses ?? []).reduce(0) { $0 + Int($1.restartCount) }
    }
}

extension LabelSelector {
    /// The selector of a typed `metav1.LabelSelector`, as `LabelSelectorAsSelector` builds it: nil selects
    /// nothing, an empty one everything; an invalid one throws upstream's message.
    public init(_ selector: meta.v1.LabelSelector?) throws(SelectorError) {
        guard let selector else {
            self = .nothing
            return
        }
        try self.init(object: selector.json)
    }

    /// The selector, or nothing when it is invalid (as upstream's controllers treat one they cannot parse).
    public static func orNothing(_ selector: meta.v1.LabelSelector?) -> LabelSelector {
        (try? LabelSelector(selector)) ?? .nothing
    }
}

extension KubernetesObject {
    /// Sets (or, with nil, removes) one annotation; no annotations left removes the map.
    public mutating func setAnnotation(_ key: String, _ value: String?) {
        var object = metadata ?? meta.v1.ObjectMeta()
        var annotations = object.annotations ?? [:]
        annotations[key] = value
        object.annotations = annotations.isEmpty ? nil : annotations
        metadata = object
    }
}

extension core.v1.PodTemplateSpec {
    /// Sets (or, with nil, removes) one label of the template; no labels left removes the map.
    public mutating func setLabel(_ key: String, _ value: String?) {
        var object = metadata ?? meta.v1.ObjectMeta()
        var labels = object.labels ?? [:]
        labels[key] = value
        object.labels = labels.isEmpty ? nil : labels
        metadata = object
    }
}
