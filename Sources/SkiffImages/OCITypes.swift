/// The OCI image-spec documents the store reads and writes (Docker schema 2 is read through the same types).
enum MediaType {
    static let ociIndex = "application/vnd.oci.image.index.v1+json"
    static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    static let ociConfig = "application/vnd.oci.image.config.v1+json"
    static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"

    static func isIndex(_ type: String?) -> Bool { type == ociIndex || type == dockerManifestList }
    static func isManifest(_ type: String?) -> Bool { type == ociManifest || type == dockerManifest }
}

/// The annotation that names an image in `index.json`; the store writes the full normalised name.
let refNameAnnotation = "org.opencontainers.image.ref.name"
/// containerd's annotation for the full name in an OCI archive (`ctr export`, `nerdctl save`).
let containerdNameAnnotation = "io.containerd.image.name"

struct Platform: Codable, Sendable, Hashable {
    var architecture: String
    var os: String
    var variant: String?
}

/// A content descriptor: media type, digest and size of a blob.
struct Descriptor: Codable, Sendable, Hashable {
    var mediaType: String
    var digest: Digest
    var size: Int64
    var annotations: [String: String]?
    var platform: Platform?
}

struct ImageIndex: Codable, Sendable {
    var schemaVersion: Int = 2
    var mediaType: String? = MediaType.ociIndex
    var manifests: [Descriptor] = []
}

struct ImageManifest: Codable, Sendable {
    var schemaVersion: Int
    var mediaType: String?
    var config: Descriptor
    var layers: [Descriptor]
}

/// The parts of an image config the store reads (the blob itself is kept byte for byte).
struct ImageConfigFile: Codable, Sendable {
    struct RootFS: Codable, Sendable {
        var type: String
        var diff_ids: [Digest]
    }
    var architecture: String?
    var os: String?
    var config: ImageConfig?
    var rootfs: RootFS
}

/// The runtime settings of an image: what the kubelet needs to start a container from it.
public struct ImageConfig: Codable, Sendable, Equatable {
    public var Entrypoint: [String]?
    public var Cmd: [String]?
    public var Env: [String]?
    public var WorkingDir: String?
    public var User: String?
    public var Labels: [String: String]?
    public var StopSignal: String?

    public init(
        Entrypoint: [String]? = nil, Cmd: [String]? = nil, Env: [String]? = nil, WorkingDir: String? = nil,
        User: String? = nil
    ) {
        self.Entrypoint = Entrypoint
        self.Cmd = Cmd
        self.Env = Env
        self.WorkingDir = WorkingDir
        self.User = User
    }
}

/// The Go architecture name of this machine, as OCI platforms spell it.
var hostArchitecture: String {
    #if arch(x86_64)
        "amd64"
    #elseif arch(arm64)
        "arm64"
    #elseif arch(arm)
        "arm"
    #elseif arch(s390x)
        "s390x"
    #elseif arch(powerpc64le)
        "ppc64le"
    #else
        "unknown"
    #endif
}
