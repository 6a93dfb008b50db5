public import Foundation

extension ImageStore {
    /// Imports the image(s) at `url`: an OCI layout directory, an OCI archive, a `docker save` archive,
    /// or a root filesystem (directory or tarball, plain or gzip) made into a one-layer image.
    /// Returns the imported images, each with only the names this import gave it; on any error the store is unchanged.
    @discardableResult
    public func importImage(from url: URL, options: ImportOptions = ImportOptions()) throws -> [Image] {
        let path = url.path
        var info = stat()
        guard stat(path, &info) == 0 else { throw ImageError.badInput("\(path): \(errnoText())") }
        for entry in options.env where !entry.contains("=") || entry.hasPrefix("=") {
            throw ImageError.badInput("invalid environment variable \"\(entry)\": expected KEY=VALUE")
        }
        return try withLock("gc.lock", exclusive: false) {
            let session = try ImportSession(store: self)
            let entries: [(name: ImageReference, manifest: Descriptor)]
            if info.st_mode & S_IFMT == S_IFDIR {
                if access(path + "/oci-layout", F_OK) == 0 {
                    entries = try importLayout(path, session: session, options: options, move: false)
                } else {
                    entries = try importRootFS(directory: path, session: session, options: options)
                }
            } else {
                entries = try importTarball(path, session: session, options: options)
            }
            try session.commit(entries)
            var images: [Image] = []
            var seen = Set<Digest>()
            for entry in entries where seen.insert(entry.manifest.digest).inserted {
                guard var image = try resolve(entry.name) else {
                    throw ImageError.io("imported image \(entry.name) vanished")
                }
                image.names = entries.filter { $0.manifest.digest == entry.manifest.digest }.map(\.name)
                images.append(image)
                logger.info("imported image", metadata: ["image": "\(entry.name)", "id": "\(image.id)"])
            }
            return images
        }
    }

    private func importTarball(_ path: String, session: ImportSession, options: ImportOptions) throws -> [(
        name: ImageReference, manifest: Descriptor
    )] {
        // One pass: decompress into a scratch tar (the layer blob if this is a root filesystem).
        let tarPath = session.scratch("input.tar")
        do {
            let input = try Compression.open(path: path)
            let sink = try HashingFileSink(path: tarPath)
            try sink.copy(from: input)
            try sink.sync()
        } catch let error as ImageError {
            throw ImageError(kind: error.kind, description: "\(path): \(error.description)")
        }
        var topLevel = Set<String>()
        do {
            let reader = TarReader(try FileSource(path: tarPath))
            while let entry = try reader.next() {
                let parts = entry.path.split(separator: "/").filter { $0 != "." }
                if parts.count == 1 { topLevel.insert(String(parts[0])) }
            }
        } catch let error as ImageError {
            throw ImageError(kind: error.kind, description: "\(path): \(error.description)")
        }
        if topLevel.contains("oci-layout") || topLevel.contains("manifest.json") {
            let extracted = session.scratch("archive")
            guard mkdir(extracted, 0o700) == 0 else {
                throw ImageError.io("cannot create \(extracted): \(errnoText())")
            }
            try LayerUnpacker(root: extracted, format: .marker, privileged: false).unpack(
                TarReader(try FileSource(path: tarPath)))
            if topLevel.contains("oci-layout") {
                return try importLayout(extracted, session: session, options: options, move: true)
            }
            return try importDockerArchive(extracted, session: session, options: options)
        }
        guard let tag = options.tag else {
            throw ImageError.badInput(
                "\(path) is a root filesystem tarball: give the image a name with --tag NAME[:TAG]")
        }
        let (digest, _) = try session.stage(file: tarPath, expected: nil, what: path, move: true)
        return [(tag, try rootFSImage(layer: digest, session: session, options: options))]
    }

    private func importRootFS(directory: String, session: ImportSession, options: ImportOptions) throws -> [(
        name: ImageReference, manifest: Descriptor
    )] {
        guard let tag = options.tag else {
            throw ImageError.badInput(
                "\(directory) is a root filesystem directory: give the image a name with --tag NAME[:TAG]")
        }
        let tarPath = session.scratch("rootfs.tar")
        let sink = try HashingFileSink(path: tarPath)
        try TarWriter(sink: sink).archive(directory: directory)
        try sink.sync()
        let (digest, _) = try session.stage(
            file: tarPath, expected: sink.hasher.finalize(), what: directory, move: true)
        return [(tag, try rootFSImage(layer: digest, session: session, options: options))]
    }

    /// A one-layer image over an uncompressed layer blob (whose digest is its diffID).
    private func rootFSImage(layer digest: Digest, session: ImportSession, options: ImportOptions) throws -> Descriptor
    {
        try session.ensureLayer(blob: digest, diffID: digest)
        let created = ISO8601DateFormatter().string(from: Date())
        let config: [String: Any] = [
            "architecture": hostArchitecture, "os": "linux", "created": created, "config": [String: Any](),
            "rootfs": ["type": "layers", "diff_ids": [digest.description]] as [String: Any],
            "history": [["created": created, "created_by": "skiff image import"]] as [[String: Any]],
        ]
        let configBytes = try rewriteConfig(try serialize(config), options: options)
        let configDigest = try session.stage(bytes: configBytes)
        let layerSize = fileSize(session.blobPath(digest) ?? "")
        let manifest = ImageManifest(
            schemaVersion: 2, mediaType: MediaType.ociManifest,
            config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: Int64(configBytes.count)),
            layers: [Descriptor(mediaType: MediaType.ociLayer, digest: digest, size: layerSize)])
        return try stageManifest(manifest, session: session)
    }

    private func importLayout(_ directory: String, session: ImportSession, options: ImportOptions, move: Bool) throws
        -> [(name: ImageReference, manifest: Descriptor)]
    {
        guard let layoutData = FileManager.default.contents(atPath: directory + "/oci-layout"),
            let layout = try? JSONSerialization.jsonObject(with: layoutData) as? [String: Any],
            let version = layout["imageLayoutVersion"] as? String, version.hasPrefix("1.")
        else { throw ImageError.badInput("\(directory): oci-layout is missing or not an OCI image layout 1.x") }
        let index: ImageIndex
        do {
            index = try JSONDecoder().decode(
                ImageIndex.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/index.json")))
        } catch {
            throw ImageError.badInput("\(directory)/index.json is missing or invalid: \(error)")
        }
        guard !index.manifests.isEmpty else { throw ImageError.badInput("\(directory): index.json lists no images") }
        let blobSource = { (digest: Digest) in "\(directory)/blobs/sha256/\(digest.hex)" }
        let allNames = try names(for: index.manifests.map(layoutName), options: options, source: directory)
        var entries: [(name: ImageReference, manifest: Descriptor)] = []
        for (descriptor, imageNames) in zip(index.manifests, allNames) {
            let manifest = try importManifest(
                descriptor, session: session, options: options, source: blobSource, move: move, depth: 0)
            entries += imageNames.map { ($0, manifest) }
        }
        return entries
    }

    /// The full name an OCI index entry carries, if any (a bare tag such as `latest` names nothing).
    private func layoutName(_ descriptor: Descriptor) -> ImageReference? {
        let annotations = descriptor.annotations ?? [:]
        for key in [containerdNameAnnotation, refNameAnnotation] {
            if let value = annotations[key], value.contains("/") || value.contains(":") || value.contains("@"),
                let reference = try? ImageReference(parsing: value)
            {
                return reference
            }
        }
        return nil
    }

    /// Names per image: `--tag` for a single image, else the archive's own names.
    private func names(for found: [ImageReference?], options: ImportOptions, source: String) throws
        -> [[ImageReference]]
    {
        if let tag = options.tag {
            guard found.count == 1 else {
                let listed = found.map { $0?.description ?? "<unnamed>" }.joined(separator: ", ")
                throw ImageError.ambiguous(
                    "\(source) holds \(found.count) images (\(listed)); --tag can name only one: import without --tag to use the archive's names"
                )
            }
            return [[tag]]
        }
        return try found.map { name in
            guard let name else {
                throw ImageError.badInput("\(source) does not name its image: give it a name with --tag NAME[:TAG]")
            }
            return [name]
        }
    }

    private func importManifest(
        _ descriptor: Descriptor, session: ImportSession, options: ImportOptions,
        source: (Digest) -> String, move: Bool, depth: Int
    ) throws -> Descriptor {
        let (digest, _) = try session.stage(
            file: source(descriptor.digest), expected: descriptor.digest, size: descriptor.size,
            what: "manifest \(descriptor.digest)", move: move)
        let bytes = try session.readBlob(digest)
        let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        let mediaType = (object?["mediaType"] as? String) ?? descriptor.mediaType
        if MediaType.isIndex(mediaType) || (object?["manifests"] != nil && object?["config"] == nil) {
            guard depth < 2 else { throw ImageError.badInput("manifest \(digest): image indexes nest too deeply") }
            let nested: ImageIndex
            do { nested = try JSONDecoder().decode(ImageIndex.self, from: Data(bytes)) } catch {
                throw ImageError.badInput("image index \(digest) is invalid: \(error)")
            }
            let platforms = nested.manifests.filter {
                ($0.platform?.os ?? "linux") == "linux"
                    && ($0.platform?.architecture ?? hostArchitecture) == hostArchitecture
            }
            guard let chosen = platforms.first else {
                let offered = nested.manifests.compactMap { $0.platform.map { "\($0.os)/\($0.architecture)" } }.joined(
                    separator: ", ")
                throw ImageError.unsupported(
                    "image index \(digest) has no linux/\(hostArchitecture) image (it has: \(offered))")
            }
            return try importManifest(
                chosen, session: session, options: options, source: source, move: move, depth: depth + 1)
        }
        let manifest: ImageManifest
        do { manifest = try JSONDecoder().decode(ImageManifest.self, from: Data(bytes)) } catch {
            throw ImageError.badInput("manifest \(digest) is invalid: \(error)")
        }
        try session.stage(
            file: source(manifest.config.digest), expected: manifest.config.digest, size: manifest.config.size,
            what: "config \(manifest.config.digest)", move: move)
        let config = try decodeConfig(try session.readBlob(manifest.config.digest), digest: manifest.config.digest)
        guard config.rootfs.diff_ids.count == manifest.layers.count else {
            throw ImageError.badInput(
                "image \(manifest.config.digest): config lists \(config.rootfs.diff_ids.count) layers, manifest \(manifest.layers.count)"
            )
        }
        for (layer, diffID) in zip(manifest.layers, config.rootfs.diff_ids) {
            try session.stage(
                file: source(layer.digest), expected: layer.digest, size: layer.size, what: "layer \(layer.digest)",
                move: move)
            try session.ensureLayer(blob: layer.digest, diffID: diffID)
        }
        guard options.changesConfig else {
            return Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
        }
        return try withNewConfig(manifest, session: session, options: options)
    }

    private func importDockerArchive(_ directory: String, session: ImportSession, options: ImportOptions) throws -> [(
        name: ImageReference, manifest: Descriptor
    )] {
        struct Entry: Decodable {
            var Config: String
            var RepoTags: [String]?
            var Layers: [String]
        }
        let entries: [Entry]
        do {
            entries = try JSONDecoder().decode(
                [Entry].self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json")))
        } catch {
            throw ImageError.badInput("manifest.json of the docker archive is invalid: \(error)")
        }
        guard !entries.isEmpty else { throw ImageError.badInput("the docker archive's manifest.json lists no images") }
        func member(_ name: String) throws -> String {
            let parts = name.split(separator: "/")
            guard !name.hasPrefix("/"), !parts.contains(".."), !parts.isEmpty else {
                throw ImageError.badInput("docker archive: unsafe path \"\(name)\" in manifest.json")
            }
            return directory + "/" + name
        }
        var found: [[ImageReference]] = []
        for entry in entries {
            found.append(try (entry.RepoTags ?? []).map { try ImageReference(parsing: $0) })
        }
        let names: [[ImageReference]]
        if options.tag != nil {
            names = try self.names(for: found.map(\.first), options: options, source: "the docker archive")
        } else {
            guard found.allSatisfy({ !$0.isEmpty }) else {
                throw ImageError.badInput(
                    "the docker archive does not name every image (no RepoTags): give a name with --tag NAME[:TAG]")
            }
            names = found
        }
        var result: [(name: ImageReference, manifest: Descriptor)] = []
        for (entry, imageNames) in zip(entries, names) {
            let configPath = try member(entry.Config)
            let (configDigest, configSize) = try session.stage(file: configPath, expected: nil, what: entry.Config)
            let config = try decodeConfig(try session.readBlob(configDigest), digest: configDigest)
            guard config.rootfs.diff_ids.count == entry.Layers.count else {
                throw ImageError.badInput(
                    "docker archive: config lists \(config.rootfs.diff_ids.count) layers, manifest.json \(entry.Layers.count)"
                )
            }
            var layers: [Descriptor] = []
            for (layerName, diffID) in zip(entry.Layers, config.rootfs.diff_ids) {
                let layerPath = try member(layerName)
                let compression = try Compression.detect(path: layerPath)
                guard compression == .none || compression == .gzip else {
                    throw ImageError.unsupported(
                        "docker archive: layer \(layerName) is \(compression)-compressed (use gzip or plain tar)")
                }
                let (digest, size) = try session.stage(file: layerPath, expected: nil, what: layerName)
                try session.ensureLayer(blob: digest, diffID: diffID)
                layers.append(
                    Descriptor(
                        mediaType: compression == .gzip ? MediaType.ociLayerGzip : MediaType.ociLayer, digest: digest,
                        size: size))
            }
            let manifest = ImageManifest(
                schemaVersion: 2, mediaType: MediaType.ociManifest,
                config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: configSize),
                layers: layers)
            let descriptor =
                options.changesConfig
                ? try withNewConfig(manifest, session: session, options: options)
                : try stageManifest(manifest, session: session)
            result += imageNames.map { ($0, descriptor) }
        }
        return result
    }

    private func decodeConfig(_ bytes: [UInt8], digest: Digest) throws -> ImageConfigFile {
        do { return try JSONDecoder().decode(ImageConfigFile.self, from: Data(bytes)) } catch {
            throw ImageError.badInput("image config \(digest) is invalid: \(error)")
        }
    }

    private func stageManifest(_ manifest: ImageManifest, session: ImportSession) throws -> Descriptor {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = Array(try encoder.encode(manifest))
        return Descriptor(
            mediaType: MediaType.ociManifest, digest: try session.stage(bytes: bytes), size: Int64(bytes.count))
    }

    /// The manifest again over a config changed by `--entrypoint`, `--cmd`, `--env`, `--workdir`, `--user`.
    private func withNewConfig(_ manifest: ImageManifest, session: ImportSession, options: ImportOptions) throws
        -> Descriptor
    {
        let bytes = try rewriteConfig(try session.readBlob(manifest.config.digest), options: options)
        var changed = manifest
        changed.mediaType = MediaType.ociManifest
        changed.config = Descriptor(
            mediaType: MediaType.ociConfig, digest: try session.stage(bytes: bytes), size: Int64(bytes.count))
        changed.layers = manifest.layers.map { layer in
            var layer = layer
            if layer.mediaType == "application/vnd.docker.image.rootfs.diff.tar.gzip" {
                layer.mediaType = MediaType.ociLayerGzip
            }
            return layer
        }
        return try stageManifest(changed, session: session)
    }

    private func rewriteConfig(_ bytes: [UInt8], options: ImportOptions) throws -> [UInt8] {
        guard options.changesConfig else { return bytes }
        guard var object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw ImageError.badInput("the image config is not a JSON object")
        }
        var config = object["config"] as? [String: Any] ?? [:]
        if let entrypoint = options.entrypoint { config["Entrypoint"] = entrypoint }
        if let cmd = options.cmd { config["Cmd"] = cmd }
        if let workingDir = options.workingDir { config["WorkingDir"] = workingDir }
        if let user = options.user { config["User"] = user }
        if !options.env.isEmpty {
            var env = config["Env"] as? [String] ?? []
            for entry in options.env {
                let key = entry.prefix { $0 != "=" } + "="
                env.removeAll { $0.hasPrefix(key) }
                env.append(entry)
            }
            config["Env"] = env
        }
        object["config"] = config
        return try serialize(object)
    }

    private func serialize(_ object: [String: Any]) throws -> [UInt8] {
        do {
            return Array(
                try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
        } catch {
            throw ImageError.io("cannot encode the image config: \(error)")
        }
    }
}
