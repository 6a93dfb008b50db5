import ArgumentParser
import Foundation
import SkiffImages

/// `skiff image`: the node's image store in `DATA_DIR/images`.
struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage the node's image store: import, list, remove, inspect, prune.",
        subcommands: [
            ImageImport.self, ImageList.self, ImageRemove.self, ImageInspect.self, ImagePrune.self, ImagePull.self,
        ])

    static func open(_ common: CommonOptions) throws -> ImageStore {
        Observability.bootstrap(level: try common.validateLogLevel())
        return try ImageStore(dataDirectory: common.dataDirectory)
    }
}

/// `skiff image import PATH --tag NAME[:TAG]`.
struct ImageImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an OCI layout or archive, a docker save archive, or a root filesystem (directory or tarball)."
    )

    @OptionGroup var common: CommonOptions
    @Argument(help: "The directory or tarball to import.") var path: String
    @Option(help: "The image's name (required for a root filesystem; for an archive, replaces its own name).")
    var tag: String?
    @Option(help: "The image's Entrypoint, as a JSON array or one program path.") var entrypoint: String?
    @Option(help: "The image's Cmd, as a JSON array or one command word.") var cmd: String?
    @Option(help: "An environment variable KEY=VALUE (repeatable).") var env: [String] = []
    @Option(help: "The image's working directory.") var workdir: String?
    @Option(help: "The user the image runs as.") var user: String?

    func run() throws {
        var options = ImportOptions()
        if let tag { options.tag = try ImageReference(parsing: tag) }
        options.entrypoint = try entrypoint.map { try Self.words($0, flag: "--entrypoint") }
        options.cmd = try cmd.map { try Self.words($0, flag: "--cmd") }
        options.env = env
        options.workingDir = workdir
        options.user = user
        let store = try ImageCommand.open(common)
        for image in try store.importImage(from: URL(fileURLWithPath: path), options: options) {
            for name in image.names {
                print("Imported image: \(name) (ID \(image.id))")
            }
        }
    }

    /// A JSON array (`["sh","-c","x"]`, a Dockerfile's exec form) as is; otherwise the text split into words as a shell would (quotes group, backslash
    /// escapes), so `--cmd 'httpd -f -p 80'` runs httpd with its arguments without needing a shell.
    static func words(_ text: String, flag: String) throws -> [String] {
        guard text.hasPrefix("[") else { return try shellWords(text, flag: flag) }
        guard let array = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String] else {
            throw ValidationError("\(flag) must be a JSON array of strings (got \(text))")
        }
        return array
    }

    static func shellWords(_ text: String, flag: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character? = nil
        var escaped = false
        for c in text {
            if escaped {
                current.append(c)
                escaped = false
            } else if c == "\\" && quote != "'" {
                escaped = true
                inWord = true
            } else if let open = quote {
                if c == open { quote = nil } else { current.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c
                inWord = true
            } else if c.isWhitespace {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(c)
                inWord = true
            }
        }
        guard quote == nil, !escaped else { throw ValidationError("\(flag) has an unterminated quote or escape: \(text)") }
        if inWord { words.append(current) }
        guard !words.isEmpty else { throw ValidationError("\(flag) must not be empty") }
        return words
    }
}

/// `skiff image ls`.
struct ImageList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images.", aliases: ["list"])
    @OptionGroup var common: CommonOptions
    @Flag(name: .shortAndLong, help: "Print image IDs only.") var quiet = false

    func run() throws {
        let images = try ImageCommand.open(common).list()
        if quiet {
            for image in images { print(image.id.description) }
            return
        }
        var rows = [["IMAGE", "TAG", "IMAGE ID", "SIZE"]]
        for image in images {
            for name in image.names {
                rows.append([name.repository, name.tag ?? "<none>", image.id.shortID, humanSize(image.size)])
            }
        }
        print(table(rows), terminator: "")
    }
}

/// `skiff image rm NAME...`.
struct ImageRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove images by name or ID, and the layers no other image uses.",
        aliases: ["rmi"])
    @OptionGroup var common: CommonOptions
    @Argument(help: "Image names or IDs.") var images: [String]

    func validate() throws {
        if images.isEmpty { throw ValidationError("give at least one image name or ID") }
    }

    func run() throws {
        let store = try ImageCommand.open(common)
        var failures: [String] = []
        var removed: [Image] = []
        for name in images {
            do {
                let image = try store.remove(name)
                removed.append(image)
                let reference = try? ImageReference(parsing: name)
                for untagged in image.names where reference == nil || reference == untagged || reference?.digest != nil
                {
                    print("Untagged: \(untagged)")
                }
            } catch {
                failures.append("\(error)")
            }
        }
        if !removed.isEmpty {
            let report = try store.garbageCollect()
            for image in removed where report.removedBlobs.contains(image.id) { print("Deleted: \(image.id)") }
        }
        if !failures.isEmpty { throw ImageCommandError(description: failures.joined(separator: "\n")) }
    }
}

/// `skiff image inspect NAME`.
struct ImageInspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Print an image's details as JSON.")
    @OptionGroup var common: CommonOptions
    @Argument(help: "Image name or ID.") var image: String

    func run() throws {
        guard let found = try ImageCommand.open(common).resolve(image) else {
            throw ImageCommandError(description: "image \"\(image)\" not found")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(found), as: UTF8.self))
    }
}

/// `skiff image prune`.
struct ImagePrune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete blobs and unpacked layers no image uses (and leftovers of interrupted imports).")
    @OptionGroup var common: CommonOptions

    func run() throws {
        let report = try ImageCommand.open(common).garbageCollect()
        print("Deleted \(report.removedBlobs.count) blobs and \(report.removedLayers.count) layers")
        print("Total reclaimed space: \(humanSize(report.reclaimedBytes))")
    }
}

/// `skiff image pull`: a later issue; says so clearly.
struct ImagePull: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull", abstract: "Pull an image from a registry (not supported yet).")
    @OptionGroup var common: CommonOptions
    @Argument(help: "Image name.") var image: String

    func run() throws {
        let reference = try ImageReference(parsing: image)
        throw ImageCommandError(
            description:
                "pulling from registries is not supported yet; import \(reference) with `skiff image import PATH --tag \(reference)`"
        )
    }
}

/// docker's `units.HumanSize`: decimal units, four significant digits.
func humanSize(_ bytes: Int64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"]
    var size = Double(bytes)
    var unit = 0
    while size >= 1000, unit < units.count - 1 {
        size /= 1000
        unit += 1
    }
    return String(format: "%.4g", size) + units[unit]
}

/// Columns padded as crictl's tabwriter does (at least 20 wide, 3 spaces between).
func table(_ rows: [[String]]) -> String {
    guard let columns = rows.first?.count else { return "" }
    let widths = (0..<columns).map { column in max(20, (rows.map { $0[column].count }.max() ?? 0) + 3) }
    return rows.map { row in
        row.enumerated().map { index, cell in
            index == columns - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined()
    }.joined(separator: "\n") + "\n"
}

/// A failure the user reads as is (no usage text after it).
struct ImageCommandError: Error, CustomStringConvertible {
    var description: String
}
