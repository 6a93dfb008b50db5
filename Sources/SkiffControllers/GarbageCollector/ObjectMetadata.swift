public import SkiffAPI
public import SkiffClient

/// One `metadata.ownerReferences` entry.
public struct OwnerReference: Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil,
                blockOwnerDeletion: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }

    /// Reads a reference; nil when it lacks a uid (the server never stores such a reference).
    public init?(json: JSONValue) {
        guard let uid = json["uid"]?.stringValue, !uid.isEmpty else { return nil }
        self.init(apiVersion: json["apiVersion"]?.stringValue ?? "", kind: json["kind"]?.stringValue ?? "",
                  name: json["name"]?.stringValue ?? "", uid: uid, controller: json["controller"]?.boolValue,
                  blockOwnerDeletion: json["blockOwnerDeletion"]?.boolValue)
    }

    public var json: JSONValue {
        var value: JSONValue = ["apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(name),
                                "uid": .string(uid)]
        if let controller { value["controller"] = .bool(controller) }
        if let blockOwnerDeletion { value["blockOwnerDeletion"] = .bool(blockOwnerDeletion) }
        return value
    }

    /// Whether this reference holds its owner's foreground deletion back.
    public var blocksOwnerDeletion: Bool { blockOwnerDeletion == true }

    /// The fields that say which object is meant (upstream's `ownerReferenceCoordinates`).
    var coordinates: OwnerReference { OwnerReference(apiVersion: apiVersion, kind: kind, name: name, uid: uid) }
}

/// The metadata of an object and nothing else: what the garbage collector keeps of every object it
/// watches (upstream's `PartialObjectMetadata`), so watching every resource costs little memory.
public struct ObjectMetadata: InformerObject, Hashable {
    public var name: String
    public var namespace: String
    public var uid: String
    public var resourceVersion: String
    public var ownerReferences: [OwnerReference]
    public var finalizers: [String]
    public var deletionTimestamp: String?

    public init(name: String, namespace: String = "", uid: String, resourceVersion: String = "",
                ownerReferences: [OwnerReference] = [], finalizers: [String] = [], deletionTimestamp: String? = nil) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.ownerReferences = ownerReferences
        self.finalizers = finalizers
        self.deletionTimestamp = deletionTimestamp
    }

    /// The metadata of a whole object (or of a `PartialObjectMetadata`).
    public init(object: JSONValue) {
        let metadata = object["metadata"]
        self.init(name: metadata?["name"]?.stringValue ?? "", namespace: metadata?["namespace"]?.stringValue ?? "",
                  uid: metadata?["uid"]?.stringValue ?? "", resourceVersion: metadata?["resourceVersion"]?.stringValue ?? "",
                  ownerReferences: (metadata?["ownerReferences"]?.arrayValue ?? []).compactMap(OwnerReference.init(json:)),
                  finalizers: (metadata?["finalizers"]?.arrayValue ?? []).compactMap(\.stringValue),
                  deletionTimestamp: metadata?["deletionTimestamp"]?.stringValue)
    }

    public init(informerJSON json: JSONValue) { self.init(object: json) }

    /// Reads only the `metadata` member of an object's bytes and skips the rest without building it: the
    /// collector watches every resource, pods included, and needs nothing else of them.
    public init(informerBytes bytes: [UInt8], transform: InformerTransform?) throws {
        var metadata: JSONValue?
        try JSONReader.read(bytes) { reader in
            try reader.beginObject()
            while let key = try reader.nextKey() {
                if key == "metadata" { metadata = try reader.readValue() } else { try reader.skipValue() }
            }
        }
        self.init(object: ["metadata": metadata ?? [:]])
    }

    public var objectNamespace: String { namespace }
    public var objectName: String { name }
    public var objectResourceVersion: String { resourceVersion }
    /// Not kept: the collector never selects by label.
    public var objectLabels: [String: String] { [:] }

    public var isBeingDeleted: Bool { deletionTimestamp != nil }

    /// The server sends only metadata: a pod's spec and status never cross the wire to the collector.
    public static var informerAccept: String { partialObjectMetadataAccept }

    public func hasFinalizer(_ finalizer: String) -> Bool { finalizers.contains(finalizer) }
}

/// The finalizers the garbage collector acts on (`metav1.FinalizerOrphanDependents`, `FinalizerDeleteDependents`).
public enum GarbageCollectionFinalizer {
    public static let orphan = "orphan"
    public static let foregroundDeletion = "foregroundDeletion"
}
