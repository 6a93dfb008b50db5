public import Foundation

/// An image in the store: what the kubelet needs to create a container from it.
public struct Image: Sendable, Encodable {
    /// The names (tags) that point at this image, normalised (`docker.io/library/busybox:latest`).
    public var names: [ImageReference]
    /// The digest of the manifest (what `name@sha256:…` references pin).
    public var manifestDigest: Digest
    /// The image ID: the digest of its config, as Kubernetes and docker show it.
    public var id: Digest
    public var architecture: String?
    public var os: String?
    /// Entrypoint, Cmd, Env, WorkingDir, User of the image.
    public var config: ImageConfig
    /// The unpacked layers, bottom to top.
    public var layers: [Layer]

    /// The unpacked size: the sum of the layers' uncompressed sizes.
    public var size: Int64 { layers.reduce(0) { $0 + $1.size } }

    /// `repository@manifestDigest` for each distinct repository, as the CRI's `repoDigests`.
    public var repoDigests: [String] {
        var seen = Set<String>()
        return names.compactMap { seen.insert($0.repository).inserted ? "\($0.repository)@\(manifestDigest)" : nil }
    }

    enum CodingKeys: String, CodingKey {
        case id, repoTags, repoDigests, manifestDigest, size, architecture, os, config, layers
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(names.map(\.description), forKey: .repoTags)
        try container.encode(repoDigests, forKey: .repoDigests)
        try container.encode(manifestDigest, forKey: .manifestDigest)
        try container.encode(size, forKey: .size)
        try container.encodeIfPresent(architecture, forKey: .architecture)
        try container.encodeIfPresent(os, forKey: .os)
        try container.encode(config, forKey: .config)
        try container.encode(layers, forKey: .layers)
    }
}

/// One layer of an image, unpacked once in `layers/<diffID hex>/fs` and shared by every image using it.
public struct Layer: Sendable, Encodable, Hashable {
    /// The digest of the uncompressed tar: the layer's identity.
    public var diffID: Digest
    /// The digest of the blob as stored (compressed or not).
    public var digest: Digest
    public var mediaType: String
    /// The directory holding the layer's files (a `lowerdir` for overlayfs).
    public var path: URL
    /// How deletions are recorded in `path`.
    public var whiteouts: WhiteoutFormat
    /// The uncompressed size in bytes.
    public var size: Int64
}

/// What `layers/<hex>/layer.json` records about an unpacked layer.
struct LayerRecord: Codable {
    var diffID: Digest
    var size: Int64
    var whiteouts: WhiteoutFormat
}

/// What a garbage collection removed.
public struct GarbageCollectionReport: Sendable, Equatable {
    public var removedBlobs: [Digest] = []
    public var removedLayers: [Digest] = []
    /// Bytes of blobs removed (unpacked layers not counted).
    public var reclaimedBytes: Int64 = 0
}

/// How `import` builds the image's config (flags of `skiff image import`).
public struct ImportOptions: Sendable {
    /// The name to give the image; required for a root filesystem, optional for an archive that names its image.
    public var tag: ImageReference?
    public var entrypoint: [String]?
    public var cmd: [String]?
    /// `KEY=VALUE`, replacing a variable of the same name.
    public var env: [String] = []
    public var workingDir: String?
    public var user: String?

    public init(tag: ImageReference? = nil) { self.tag = tag }

    var changesConfig: Bool { entrypoint != nil || cmd != nil || !env.isEmpty || workingDir != nil || user != nil }
}
