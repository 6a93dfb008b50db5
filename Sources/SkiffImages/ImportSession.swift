import CLinuxExtras
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One import in progress: blobs and unpacked layers are staged in `tmp/import-<uuid>` and only moved
/// into the store, then named in `index.json`, once everything is verified. A failure or crash before
/// that leaves the store as it was (a crash mid-commit leaves unnamed content for GC, never a half image).
final class ImportSession {
    let store: ImageStore
    let work: String
    private var stagedBlobs: [Digest: String] = [:]
    private var stagedLayers: [Digest: String] = [:]
    private lazy var whiteoutFormat: WhiteoutFormat = probeWhiteoutFormat()
    private var blobCounter = 0

    init(store: ImageStore) throws {
        self.store = store
        work = "\(store.root)/tmp/import-\(UUID().uuidString)"
        for sub in ["", "/blobs", "/layers", "/scratch"] where mkdir(work + sub, 0o700) != 0 {
            throw ImageError.io("cannot create \(work + sub): \(errnoText())")
        }
    }

    deinit { try? removeTree(work) }

    /// A fresh path in the work directory.
    func scratch(_ name: String) -> String {
        blobCounter += 1
        return "\(work)/scratch/\(blobCounter)-\(name)"
    }

    /// Where a blob's bytes are (staged or already stored), if anywhere.
    func blobPath(_ digest: Digest) -> String? {
        if let staged = stagedBlobs[digest] { return staged }
        let stored = store.blobPath(digest)
        return access(stored, F_OK) == 0 ? stored : nil
    }

    func readBlob(_ digest: Digest) throws -> [UInt8] {
        guard let path = blobPath(digest), let data = FileManager.default.contents(atPath: path) else {
            throw ImageError.io("blob \(digest) is missing")
        }
        return Array(data)
    }

    /// Stages bytes made by the import (a config or manifest); returns their digest.
    func stage(bytes: [UInt8]) throws -> Digest {
        let digest = Digest.of(bytes)
        if blobPath(digest) != nil { return digest }
        let path = "\(work)/blobs/\(digest.hex)"
        let sink = try HashingFileSink(path: path)
        try sink.write(bytes)
        try sink.sync()
        stagedBlobs[digest] = path
        return digest
    }

    /// Stages the file at `source` as a blob, verifying `expected` (and `size`) when given.
    /// `move` renames a file the import owns instead of copying it.
    @discardableResult
    func stage(file source: String, expected: Digest?, size: Int64? = nil, what: String, move: Bool = false) throws -> (
        Digest, Int64
    ) {
        if let expected, blobPath(expected) != nil, !move {
            // Already present (verified when it was stored): nothing to copy.
            return (expected, size ?? fileSize(source))
        }
        let temporary = "\(work)/blobs/incoming-\(UUID().uuidString)"
        let digest: Digest
        let count: Int64
        if move {
            let input = HashingSource(try FileSource(path: source))
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while try buffer.withUnsafeMutableBytes({ try input.read(into: $0) }) > 0 {}
            digest = input.hasher.finalize()
            count = input.hasher.count
            guard rename(source, temporary) == 0 else { throw ImageError.io("cannot move \(source): \(errnoText())") }
        } else {
            let input = try FileSource(path: source)
            let sink = try HashingFileSink(path: temporary)
            try sink.copy(from: input)
            try sink.sync()
            digest = sink.hasher.finalize()
            count = sink.hasher.count
        }
        if let expected, expected != digest {
            unlink(temporary)
            throw ImageError.digestMismatch(what, expected: expected, actual: digest)
        }
        if let size, size != count {
            unlink(temporary)
            throw ImageError.badInput(
                "\(what): size mismatch: the descriptor says \(size) bytes, the blob has \(count)")
        }
        if blobPath(digest) != nil {
            unlink(temporary)
        } else {
            let path = "\(work)/blobs/\(digest.hex)"
            guard rename(temporary, path) == 0 else {
                throw ImageError.io("cannot stage blob \(digest): \(errnoText())")
            }
            stagedBlobs[digest] = path
        }
        return (digest, count)
    }

    /// Unpacks the layer blob `digest` unless the store (or this import) already has `diffID` unpacked;
    /// the uncompressed stream must hash to `diffID`.
    func ensureLayer(blob digest: Digest, diffID: Digest) throws {
        if stagedLayers[diffID] != nil || access(store.layerDirectory(diffID) + "/layer.json", F_OK) == 0 { return }
        guard let blob = blobPath(digest) else { throw ImageError.io("layer blob \(digest) is missing") }
        let directory = "\(work)/layers/\(diffID.hex)"
        guard mkdir(directory, 0o755) == 0, mkdir(directory + "/fs", 0o755) == 0 else {
            throw ImageError.io("cannot create \(directory): \(errnoText())")
        }
        let hashing = HashingSource(try Compression.open(path: blob))
        let reader = TarReader(hashing)
        do {
            try LayerUnpacker(root: directory + "/fs", format: whiteoutFormat, privileged: geteuid() == 0).unpack(
                reader)
            try reader.drain()
        } catch let error as ImageError {
            throw ImageError(kind: error.kind, description: "layer \(digest): \(error.description)")
        }
        let actual = hashing.hasher.finalize()
        guard actual == diffID else {
            throw ImageError.digestMismatch("layer \(digest) (uncompressed)", expected: diffID, actual: actual)
        }
        let record = LayerRecord(diffID: diffID, size: hashing.hasher.count, whiteouts: whiteoutFormat)
        try store.writeAtomically(Array(try JSONEncoder().encode(record)), to: directory + "/layer.json")
        stagedLayers[diffID] = directory
        store.logger.debug("unpacked layer", metadata: ["diffID": "\(diffID)", "bytes": "\(record.size)"])
    }

    /// Moves staged content into the store, then names the images in one index write.
    func commit(_ entries: [(name: ImageReference, manifest: Descriptor)]) throws {
        // Content first, made durable, so a name never points at content a crash lost.
        let fd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = syncfs(fd)
            close(fd)
        }
        for (digest, path) in stagedBlobs {
            guard rename(path, store.blobPath(digest)) == 0 else {
                throw ImageError.io("cannot store blob \(digest): \(errnoText())")
            }
        }
        for (diffID, path) in stagedLayers {
            if rename(path, store.layerDirectory(diffID)) != 0 {
                // Another import stored the same layer first: theirs is identical, keep it.
                guard errno == EEXIST || errno == ENOTEMPTY else {
                    throw ImageError.io("cannot store layer \(diffID): \(errnoText())")
                }
                try removeTree(path)
            }
        }
        stagedBlobs = [:]
        stagedLayers = [:]
        try store.withLock("index.lock", exclusive: true) {
            var index = try store.readIndex()
            for entry in entries {
                let name = entry.name.description
                index.manifests.removeAll { $0.annotations?[refNameAnnotation] == name }
                var descriptor = entry.manifest
                descriptor.annotations = [refNameAnnotation: name]
                index.manifests.append(descriptor)
            }
            try store.writeIndex(index)
        }
    }

    /// overlayfs's form needs root and a filesystem taking device nodes and trusted xattrs: try both.
    private func probeWhiteoutFormat() -> WhiteoutFormat {
        guard geteuid() == 0 else { return .marker }
        let probe = "\(work)/probe-\(UUID().uuidString)"
        defer { _ = unlink(probe) }
        guard mknod(probe + "-c", S_IFCHR, 0) == 0 else { return .marker }
        _ = unlink(probe + "-c")
        guard mkdir(probe, 0o700) == 0 else { return .marker }
        defer { _ = rmdir(probe) }
        let value: [UInt8] = [UInt8(ascii: "y")]
        return lsetxattr(probe, "trusted.overlay.opaque", value, 1, 0) == 0 ? .overlay : .marker
    }
}

func fileSize(_ path: String) -> Int64 {
    var info = stat()
    return lstat(path, &info) == 0 ? Int64(info.st_size) : 0
}
