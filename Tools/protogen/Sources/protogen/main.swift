import Foundation

// protogen: turns the upstream Kubernetes `generated.proto` files (and the struct tags of the Go types beside them)
// into the compact message table that SkiffAPI's protobuf decoder reads. See README.md.

let usage = """
    usage: protogen --api DIR --apimachinery DIR --apiextensions-apiserver DIR --source-version TAG --output FILE
      DIR: a checkout of github.com/kubernetes/<repo> at TAG (e.g. v0.36.3)
    """

/// The group-versions Skiff serves, as (Go module, package directory). Imported packages are added as needed.
let servedPackages: [(module: String, directory: String)] = [
    ("k8s.io/api", "core/v1"), ("k8s.io/api", "apps/v1"), ("k8s.io/api", "batch/v1"),
    ("k8s.io/api", "coordination/v1"), ("k8s.io/api", "discovery/v1"), ("k8s.io/api", "events/v1"),
    ("k8s.io/api", "policy/v1"), ("k8s.io/api", "rbac/v1"), ("k8s.io/api", "autoscaling/v1"),
    ("k8s.io/api", "autoscaling/v2"), ("k8s.io/api", "networking/v1"), ("k8s.io/api", "storage/v1"),
    ("k8s.io/api", "scheduling/v1"), ("k8s.io/api", "authentication/v1"), ("k8s.io/api", "authorization/v1"),
    ("k8s.io/apiextensions-apiserver", "pkg/apis/apiextensions/v1"),
    ("k8s.io/apimachinery", "pkg/apis/meta/v1"), ("k8s.io/apimachinery", "pkg/runtime"),
    ("k8s.io/apimachinery", "pkg/api/resource"), ("k8s.io/apimachinery", "pkg/util/intstr"),
]

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func parseArguments() throws -> (roots: [String: URL], sourceVersion: String, output: URL) {
    var roots: [String: URL] = [:]
    var sourceVersion: String?
    var output: URL?
    var arguments = CommandLine.arguments.dropFirst()
    while let flag = arguments.popFirst() {
        guard let value = arguments.popFirst() else { throw Failure(usage) }
        switch flag {
        case "--api": roots["k8s.io/api"] = URL(fileURLWithPath: value)
        case "--apimachinery": roots["k8s.io/apimachinery"] = URL(fileURLWithPath: value)
        case "--apiextensions-apiserver": roots["k8s.io/apiextensions-apiserver"] = URL(fileURLWithPath: value)
        case "--source-version": sourceVersion = value
        case "--output": output = URL(fileURLWithPath: value)
        default: throw Failure(usage)
        }
    }
    guard roots.count == 3, let sourceVersion, let output else { throw Failure(usage) }
    return (roots, sourceVersion, output)
}

/// One proto package with what the table needs to know about it.
struct LoadedPackage {
    var module: String
    var directory: String
    var file: ProtoFile
    var goStructs: GoStructs
    /// `apps/v1`, `v1` for core, `nil` for packages that are not a served group-version (runtime, resource, …).
    var apiVersion: String?
    /// A short Go-style import alias used in the table: `corev1`, `metav1`, `intstr`.
    var alias: String
}

func loadPackages(roots: [String: URL]) throws -> [LoadedPackage] {
    var loaded: [LoadedPackage] = []
    var seen: Set<String> = []
    var queue = servedPackages.map { (module: $0.module, directory: $0.directory, served: true) }
    while !queue.isEmpty {
        let next = queue.removeFirst()
        let key = "\(next.module)/\(next.directory)"
        guard seen.insert(key).inserted else { continue }
        guard let root = roots[next.module] else { throw Failure("no checkout given for \(next.module)") }
        let directory = root.appendingPathComponent(next.directory)
        let protoPath = directory.appendingPathComponent("generated.proto")
        let file = try parseProtoFile(try String(contentsOf: protoPath, encoding: .utf8), path: protoPath.path)
        for imported in file.imports {
            guard let module = roots.keys.first(where: { imported.hasPrefix($0 + "/") }) else {
                throw Failure("\(protoPath.path): import of unknown module: \(imported)")
            }
            let importedDirectory = String(imported.dropFirst(module.count + 1).dropLast("/generated.proto".count))
            queue.append((module, importedDirectory, false))
        }
        let components = next.directory.split(separator: "/").map(String.init)
        let last = components.last ?? ""
        let isVersion = last.first == "v" && last.dropFirst().first?.isNumber == true
        let alias = isVersion && components.count >= 2 ? components[components.count - 2] + last : last
        var apiVersion: String?
        if next.served && isVersion {
            let group = try groupName(directory: directory) ?? components[components.count - 2]
            apiVersion = group.isEmpty ? last : "\(group)/\(last)"
        }
        loaded.append(LoadedPackage(module: next.module, directory: next.directory, file: file,
                                    goStructs: try readGoStructs(directory: directory),
                                    apiVersion: apiVersion, alias: alias))
    }
    return loaded
}

/// The `+groupName=` of a package's doc.go (empty for the core group); `nil` when it has none.
func groupName(directory: URL) throws -> String? {
    let doc = try String(contentsOf: directory.appendingPathComponent("doc.go"), encoding: .utf8)
    for line in doc.split(separator: "\n") {
        if let range = line.range(of: "+groupName=") {
            return String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
    }
    return nil
}

do {
    let (roots, sourceVersion, output) = try parseArguments()
    let packages = try loadPackages(roots: roots)
    let table = try TableWriter(packages: packages).render()
    let swift = renderSwiftFile(table: table, sourceVersion: sourceVersion)
    try FileManager.default.createDirectory(at: output.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(swift.utf8).write(to: output)
    let messageCount = packages.reduce(0) { $0 + $1.file.messages.count }
    print("wrote \(output.path): \(packages.count) packages, \(messageCount) messages, \(swift.utf8.count) bytes")
} catch {
    FileHandle.standardError.write(Data("protogen: \(error)\n".utf8))
    exit(1)
}
