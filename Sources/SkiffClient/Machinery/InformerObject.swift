public import SkiffAPI

/// What informers, indexers and listers need of an object: its cache key, its resourceVersion and a
/// way to read it from JSON. `JSONValue` conforms (dynamic informers); typed models conform too.
public protocol InformerObject: Sendable {
    /// `namespace/name` for namespaced objects, `name` otherwise (client-go's `MetaNamespaceKeyFunc`).
    var objectKey: String { get }
    var objectNamespace: String { get }
    var objectName: String { get }
    var objectResourceVersion: String { get }
    var objectLabels: [String: String] { get }
    /// Decodes one object of a list or watch event.
    init(informerJSON json: JSONValue) throws

    /// Decodes one object from its JSON bytes through `transform`; the default parses a `JSONValue` first,
    /// typed models read the bytes directly.
    init(informerBytes bytes: [UInt8], transform: InformerTransform?) throws

    /// The `Accept` header of the informer's lists and watches: whole objects, or only their metadata
    /// (`as=PartialObjectMetadata`, what client-go's metadata informers ask for).
    static var informerAccept: String { get }
}

extension InformerObject {
    public init(informerBytes bytes: [UInt8], transform: InformerTransform?) throws {
        let json = try JSONValue(parsing: bytes)
        try self.init(informerJSON: transform?(json) ?? json)
    }

    public var objectKey: String { objectNamespace.isEmpty ? objectName : "\(objectNamespace)/\(objectName)" }

    public static var informerAccept: String { "application/json" }
}

/// The `Accept` header that asks a server for `PartialObjectMetadata` (or a list of them) and takes whole
/// objects from a server that cannot (upstream's metadata client sends the same preference list).
public let partialObjectMetadataAccept = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"


extension JSONValue: InformerObject {
    public var objectNamespace: String { self["metadata"]?["namespace"]?.stringValue ?? "" }
    public var objectName: String { self["metadata"]?["name"]?.stringValue ?? "" }
    public var objectResourceVersion: String { self["metadata"]?["resourceVersion"]?.stringValue ?? "" }

    public var objectLabels: [String: String] {
        var labels: [String: String] = [:]
        for (k, v) in self["metadata"]?["labels"]?.objectValue ?? [:] { if let s = v.stringValue { labels[k] = s } }
        return labels
    }

    public init(informerJSON json: JSONValue) { self = json }
}

/// Splits a cache key into namespace and name.
public func splitObjectKey(_ key: String) -> (namespace: String, name: String) {
    guard let slash = key.firstIndex(of: "/") else { return ("", key) }
    return (String(key[..<slash]), String(key[key.index(after: slash)...]))
}
