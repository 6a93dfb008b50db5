import Foundation
public import SkiffAPI

/// Reads the ConfigMaps and Secrets a pod refers to, as the kubelet's configMap and secret managers do:
/// through the API, each object once per container start.
public struct PodConfigSource: Sendable {
    /// Fetches ConfigMap `name` in `namespace`; nil when it does not exist.
    public var configMap: @Sendable (_ namespace: String, _ name: String) async throws -> core.v1.ConfigMap?
    /// Fetches Secret `name` in `namespace`; nil when it does not exist.
    public var secret: @Sendable (_ namespace: String, _ name: String) async throws -> core.v1.Secret?

    public init(configMap: @escaping @Sendable (_ namespace: String, _ name: String) async throws -> core.v1.ConfigMap?,
                secret: @escaping @Sendable (_ namespace: String, _ name: String) async throws -> core.v1.Secret?) {
        self.configMap = configMap
        self.secret = secret
    }

    /// No API: every object is missing.
    public static let none = PodConfigSource(configMap: { _, _ in nil }, secret: { _, _ in nil })
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
    /// What each object read, by `kind/name`: its entries as bytes (a ConfigMap's `binaryData` apart), or nil
    /// when it does not exist.
    private var cache: [String: Entries?] = [:]

    struct Entries {
        var text: [String: Data]
        /// A ConfigMap's `binaryData`.
        var binary: [String: Data]
    }

    init(source: PodConfigSource, namespace: String) {
        self.source = source
        self.namespace = namespace
    }

    /// The object's entries, nil when it does not exist; other failures (the API is unreachable) throw.
    private func object(_ kind: Kind, _ name: String) async throws(ConfigFailure) -> Entries? {
        let key = "\(kind.rawValue)/\(name)"
        if let cached = cache[key] { return cached }
        let found: Entries?
        do {
            switch kind {
            case .configMap: found = try await source.configMap(namespace, name).map(Self.entries)
            case .secret: found = try await source.secret(namespace, name).map(Self.entries)
            }
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
        guard includeBinary else { return object.text }
        return object.text.merging(object.binary) { _, binary in binary }
    }

    private static func entries(_ configMap: core.v1.ConfigMap) -> Entries {
        Entries(text: (configMap.data ?? [:]).mapValues { Data($0.utf8) },
                binary: (configMap.binaryData ?? [:]).mapValues { Data(base64Encoded: $0) ?? Data() })
    }

    private static func entries(_ secret: core.v1.Secret) -> Entries {
        var text = (secret.stringData ?? [:]).mapValues { Data($0.utf8) }
        for (key, value) in secret.data ?? [:] { text[key] = Data(base64Encoded: value) ?? Data() }
        return Entries(text: text, binary: [:])
    }

    /// `configmap "name" not found`, as the kubelet's object managers say it.
    nonisolated func notFound(_ kind: Kind, _ name: String) -> ConfigFailure {
        ConfigFailure(description: "\(kind.rawValue) \"\(name)\" not found")
    }
}
