import Foundation
public import SkiffAPI

/// Reads the ConfigMaps and Secrets a pod refers to, as the kubelet's configMap and secret managers do:
/// through the API, each object once per container start.
public struct PodConfigSource: Sendable {
    /// Fetches `configmaps` or `secrets` `name` in `namespace`; nil when it does not exist.
    public var fetch: @Sendable (_ resource: String, _ namespace: String, _ name: String) async throws -> JSONValue?

    public init(fetch: @escaping @Sendable (_ resource: String, _ namespace: String, _ name: String) async throws -> JSONValue?) {
        self.fetch = fetch
    }

    /// No API: every object is missing.
    public static let none = PodConfigSource { _, _, _ in nil }
}

/// Why a container's configuration or a pod's volume could not be made, in upstream's words
/// (`configmap "app-cfg" not found`).
struct ConfigFailure: Error, CustomStringConvertible {
    var description: String
}

/// The ConfigMaps and Secrets one batch of starts reads, each fetched once (upstream's local maps in
/// `makeEnvironmentVariables`).
actor PodConfigObjects {
    enum Kind: String {
        case configMap = "configmap", secret

        var resource: String { self == .configMap ? "configmaps" : "secrets" }
    }

    let source: PodConfigSource
    let namespace: String
    private var cache: [String: JSONValue?] = [:]

    init(source: PodConfigSource, namespace: String) {
        self.source = source
        self.namespace = namespace
    }

    /// The object, nil when it does not exist; other failures (the API is unreachable) throw.
    func object(_ kind: Kind, _ name: String) async throws(ConfigFailure) -> JSONValue? {
        let key = "\(kind.rawValue)/\(name)"
        if let cached = cache[key] { return cached }
        let found: JSONValue?
        do {
            found = try await source.fetch(kind.resource, namespace, name)
        } catch {
            throw ConfigFailure(description: "couldn't get \(kind == .configMap ? "configMap" : "secret") \(namespace)/\(name): \(error)")
        }
        cache[key] = found
        return found
    }

    /// The object's entries as bytes: a ConfigMap's `data` and `binaryData`, a Secret's decoded `data`
    /// (and `stringData`, should a server leave it). nil: the object does not exist.
    func entries(_ kind: Kind, _ name: String, includeBinary: Bool = true) async throws(ConfigFailure) -> [String: Data]? {
        guard let object = try await object(kind, name) else { return nil }
        var entries: [String: Data] = [:]
        switch kind {
        case .configMap:
            for (key, value) in object["data"]?.objectValue ?? [:] { entries[key] = Data((value.stringValue ?? "").utf8) }
            if includeBinary {
                for (key, value) in object["binaryData"]?.objectValue ?? [:] {
                    entries[key] = Data(base64Encoded: value.stringValue ?? "") ?? Data()
                }
            }
        case .secret:
            for (key, value) in object["stringData"]?.objectValue ?? [:] { entries[key] = Data((value.stringValue ?? "").utf8) }
            for (key, value) in object["data"]?.objectValue ?? [:] {
                entries[key] = Data(base64Encoded: value.stringValue ?? "") ?? Data()
            }
        }
        return entries
    }

    /// `configmap "name" not found`, as the kubelet's object managers say it.
    nonisolated func notFound(_ kind: Kind, _ name: String) -> ConfigFailure {
        ConfigFailure(description: "\(kind.rawValue) \"\(name)\" not found")
    }
}
