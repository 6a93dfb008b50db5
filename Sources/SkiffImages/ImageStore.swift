public import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The node's content-addressed image store, an OCI image layout on disk:
/// `blobs/sha256/<hex>`, `index.json` naming manifests by full reference, and `layers/<diffID>/fs`
/// holding each layer unpacked once. Methods block on file I/O; every write is temp file + rename and
/// processes coordinate with `flock`, so concurrent imports, removals and GC (even from other processes) are safe.
public struct ImageStore: Sendable {
    /// The store's root (`DATA_DIR/images`).
    public let directory: URL
    let logger = Logger(label: "skiff.images")

    /// Opens (creating if needed) the store rooted at `directory`.
    public init(directory: URL) throws {
        self.directory = directory
        for sub in ["blobs/sha256", "layers", "tmp", "leases"] {
            do {
                try FileManager.default.createDirectory(
                    at: directory.appendingPathComponent(sub), withIntermediateDirectories: true)
            } catch {
                throw ImageError.io("cannot create the image store in \(directory.path): \(error.localizedDescription)")
            }
        }
        let layout = directory.appendingPathComponent("oci-layout")
        if !FileManager.default.fileExists(atPath: layout.path) {
            try writeAtomically(Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: layout.path)
        }
    }

    /// The store of a data directory: `dataDirectory/images`.
    public init(dataDirectory: URL) throws {
        try self.init(directory: dataDirectory.appendingPathComponent("images"))
    }

    var root: String { directory.path }
    func blobPath(_ digest: Digest) -> String { "\(root)/blobs/sha256/\(digest.hex)" }
    func layerDirectory(_ diffID: Digest) -> String { "\(root)/layers/\(diffID.hex)" }

    // MARK: Reading

    /// The image `reference` names (a tag, or `name@sha256:…` matching a stored manifest), or nil.
    public func resolve(_ reference: ImageReference) throws -> Image? {
        let index = try readIndex()
        let match: Descriptor?
        if let digest = reference.digest {
            match = index.manifests.first { $0.digest == digest && name(of: $0)?.repository == reference.repository }
        } else {
            match = index.manifests.first { name(of: $0) == reference }
        }
        guard let match else { return nil }
        return try load(match.digest, names: names(of: match.digest, in: index))
    }

    /// Resolves a reference, or an image ID (`sha256:…` or a unique prefix of its hex) as the CLI accepts.
    /// Throws `invalidReference` when `text` is neither.
    public func resolve(_ text: String) throws -> Image? {
        let reference = try? ImageReference(parsing: text)
        if let reference, let image = try resolve(reference) { return image }
        let hex = text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text
        if !hex.isEmpty, hex.count <= 64, hex.allSatisfy(\.isLowercaseHex) {
            let matches = try list().filter { $0.id.hex.hasPrefix(hex) || $0.manifestDigest.hex == hex }
            if matches.count > 1 {
                throw ImageError.ambiguous("\"\(text)\" matches \(matches.count) images; give more of the ID")
            }
            if let first = matches.first { return first }
        }
        if reference == nil { _ = try ImageReference(parsing: text) }  // rethrows the parse error
        return nil
    }

    /// Every image, one per manifest, each with all its names; sorted by name.
    public func list() throws -> [Image] {
        let index = try readIndex()
        var seen = Set<Digest>()
        var images: [Image] = []
        for descriptor in index.manifests where seen.insert(descriptor.digest).inserted {
            images.append(try load(descriptor.digest, names: names(of: descriptor.digest, in: index)))
        }
        return images.sorted { ($0.names.first?.description ?? "") < ($1.names.first?.description ?? "") }
    }

    func name(of descriptor: Descriptor) -> ImageReference? {
        descriptor.annotations?[refNameAnnotation].flatMap { try? ImageReference(parsing: $0) }
    }

    private func names(of manifest: Digest, in index: ImageIndex) -> [ImageReference] {
        index.manifests.filter { $0.digest == manifest }.compactMap(name(of:))
    }

    func readJSON<T: Decodable>(_ type: T.Type, blob digest: Digest) throws -> T {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: blobPath(digest))) } catch {
            throw ImageError.io("the store is missing blob \(digest); re-import the image")
        }
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw ImageError.badInput("blob \(digest) is not a valid \(T.self): \(error)")
        }
    }

    /// Builds the `Image` of a stored manifest.
    func load(_ manifestDigest: Digest, names: [ImageReference]) throws -> Image {
        let manifest = try readJSON(ImageManifest.self, blob: manifestDigest)
        let config = try readJSON(ImageConfigFile.self, blob: manifest.config.digest)
        guard config.rootfs.diff_ids.count == manifest.layers.count else {
            throw ImageError.badInput(
                "image \(manifestDigest): config lists \(config.rootfs.diff_ids.count) layers, manifest \(manifest.layers.count)"
            )
        }
        var layers: [Layer] = []
        for (descriptor, diffID) in zip(manifest.layers, config.rootfs.diff_ids) {
            let directory = layerDirectory(diffID)
            let record: LayerRecord
            do {
                record = try JSONDecoder().decode(
                    LayerRecord.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/layer.json")))
            } catch {
                throw ImageError.io(
                    "layer \(diffID) of image \(manifest.config.digest.shortID) is not unpacked; re-import the image")
            }
            layers.append(
                Layer(
                    diffID: diffID, digest: descriptor.digest, mediaType: descriptor.mediaType,
                    path: URL(fileURLWithPath: directory + "/fs"), whiteouts: record.whiteouts, size: record.size))
        }
        return Image(
            names: names, manifestDigest: manifestDigest, id: manifest.config.digest, architecture: config.architecture,
            os: config.os, config: config.config ?? ImageConfig(), layers: layers)
    }

    // MARK: Index

    func readIndex() throws -> ImageIndex {
        let path = "\(root)/index.json"
        guard let data = FileManager.default.contents(atPath: path) else { return ImageIndex() }
        do { return try JSONDecoder().decode(ImageIndex.self, from: data) } catch {
            throw ImageError.io("\(path) is corrupt: \(error)")
        }
    }

    func writeIndex(_ index: ImageIndex) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(index) } catch { throw ImageError.io("cannot encode the index: \(error)") }
        try writeAtomically(Array(data), to: "\(root)/index.json")
    }

    // MARK: Removal and garbage collection

    /// Removes a name (or, given an image ID, every name of that image) from the index and returns the image.
    /// Blobs and layers stay until `garbageCollect`. Throws `notFound` when nothing matches.
    @discardableResult
    public func remove(_ text: String) throws -> Image {
        try withLock("index.lock", exclusive: true) {
            guard let image = try resolve(text) else { throw ImageError.notFound(text) }
            let reference = try? ImageReference(parsing: text)
            var index = try readIndex()
            let byName = reference.map { ref in image.names.contains(ref) || ref.digest != nil } ?? false
            index.manifests.removeAll { descriptor in
                guard descriptor.digest == image.manifestDigest else { return false }
                guard byName, let reference else { return true }
                return reference.digest != nil
                    ? name(of: descriptor)?.repository == reference.repository : name(of: descriptor) == reference
            }
            try writeIndex(index)
            logger.info("removed image", metadata: ["image": "\(text)", "id": "\(image.id)"])
            return image
        }
    }

    /// Deletes blobs and unpacked layers that no named image, lease or image in `keeping` uses, and
    /// leftovers of interrupted imports. Waits for running imports to finish first.
    @discardableResult
    public func garbageCollect(keeping: [Image] = []) throws -> GarbageCollectionReport {
        try withLock("gc.lock", exclusive: true) {
            try withLock("index.lock", exclusive: true) {
                var liveBlobs = Set<Digest>()
                var liveLayers = Set<Digest>()
                var manifests = Set(try readIndex().manifests.map(\.digest))
                manifests.formUnion(try leasedManifests())
                for image in keeping {
                    manifests.insert(image.manifestDigest)
                    liveBlobs.insert(image.id)
                    for layer in image.layers {
                        liveBlobs.insert(layer.digest)
                        liveLayers.insert(layer.diffID)
                    }
                }
                for digest in manifests {
                    liveBlobs.insert(digest)
                    guard let manifest = try? readJSON(ImageManifest.self, blob: digest) else { continue }
                    liveBlobs.insert(manifest.config.digest)
                    liveBlobs.formUnion(manifest.layers.map(\.digest))
                    if let config = try? readJSON(ImageConfigFile.self, blob: manifest.config.digest) {
                        liveLayers.formUnion(config.rootfs.diff_ids)
                    }
                }
                var report = GarbageCollectionReport()
                let fm = FileManager.default
                for name in (try? fm.contentsOfDirectory(atPath: "\(root)/blobs/sha256")) ?? [] {
                    let path = "\(root)/blobs/sha256/\(name)"
                    if let digest = try? Digest(parsing: "sha256:" + name), liveBlobs.contains(digest) { continue }
                    let size = fileSize(path)
                    try removeTree(path)
                    if let digest = try? Digest(parsing: "sha256:" + name) { report.removedBlobs.append(digest) }
                    report.reclaimedBytes += size
                }
                for name in (try? fm.contentsOfDirectory(atPath: "\(root)/layers")) ?? [] {
                    let digest = try? Digest(parsing: "sha256:" + name)
                    if let digest, liveLayers.contains(digest) { continue }
                    // Renamed away first, so a half-deleted layer is never visible under its name.
                    let trash = "\(root)/tmp/trash-\(UUID().uuidString)"
                    guard rename("\(root)/layers/\(name)", trash) == 0 else {
                        throw ImageError.io("cannot remove layer \(name): \(errnoText())")
                    }
                    try removeTree(trash)
                    if let digest { report.removedLayers.append(digest) }
                }
                // No import runs while the exclusive lock is held, so whatever is in tmp is a leftover.
                for name in (try? fm.contentsOfDirectory(atPath: "\(root)/tmp")) ?? [] {
                    try removeTree("\(root)/tmp/\(name)")
                }
                logger.info(
                    "image garbage collection",
                    metadata: [
                        "blobs": "\(report.removedBlobs.count)", "layers": "\(report.removedLayers.count)",
                        "bytes": "\(report.reclaimedBytes)",
                    ])
                return report
            }
        }
    }

    // MARK: Leases

    /// Protects `images` from garbage collection under `id` (e.g. a container using them), across processes.
    public func addLease(_ id: String, images: [Image]) throws {
        let path = try leasePath(id)
        let data = try JSONEncoder().encode(images.map(\.manifestDigest))
        try writeAtomically(Array(data), to: path)
    }

    /// Drops the lease `id`; its images become collectable when nothing else names them.
    public func removeLease(_ id: String) throws {
        let path = try leasePath(id)
        guard unlink(path) == 0 || errno == ENOENT else {
            throw ImageError.io("cannot remove lease \(id): \(errnoText())")
        }
    }

    private func leasePath(_ id: String) throws -> String {
        guard !id.isEmpty, !id.contains("/"), !id.hasPrefix(".") else {
            throw ImageError.badInput("invalid lease id \"\(id)\"")
        }
        return "\(root)/leases/\(id).json"
    }

    private func leasedManifests() throws -> [Digest] {
        var digests: [Digest] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/leases")) ?? []
        where name.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: "\(root)/leases/\(name)"),
                let list = try? JSONDecoder().decode([Digest].self, from: data)
            else { continue }
            digests += list
        }
        return digests
    }

    // MARK: Files and locks

    /// Runs `body` holding `flock` on `root/name` (shared or exclusive); across threads and processes.
    func withLock<T>(_ name: String, exclusive: Bool, _ body: () throws -> T) throws -> T {
        let fd = open("\(root)/\(name)", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ImageError.io("cannot open lock \(root)/\(name): \(errnoText())") }
        defer { close(fd) }
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            guard errno == EINTR else { throw ImageError.io("cannot lock \(root)/\(name): \(errnoText())") }
        }
        return try body()
    }

    /// Writes `bytes` to a temporary file beside `path`, syncs it and renames it over `path`.
    func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = "\(path).tmp-\(UUID().uuidString)"
        do {
            let sink = try HashingFileSink(path: temporary)
            try sink.write(bytes)
            try sink.sync()
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let message = errnoText()
            unlink(temporary)
            throw ImageError.io("cannot write \(path): \(message)")
        }
    }
}
