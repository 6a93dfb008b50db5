import Foundation

/// A schema object as JSONSerialization reads it.
typealias Schema = [String: Any]

/// The `components.schemas` of every document, merged by id. A schema that two documents define differently
/// stops the run: the documents come from one server, so they must agree.
func loadSchemas(directory: URL, documents: [String]) throws -> [String: Schema] {
    var merged: [String: Schema] = [:]
    for name in documents {
        let url = directory.appendingPathComponent(name + "_openapi.json")
        let data = try Data(contentsOf: url)
        guard let document = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let components = document["components"] as? [String: Any],
            let schemas = components["schemas"] as? [String: Schema]
        else { throw Failure("\(url.path): no components.schemas") }
        for (id, schema) in schemas {
            if let existing = merged[id], !(existing as NSDictionary).isEqual(to: schema) {
                throw Failure("\(id) differs between documents (\(name))")
            }
            merged[id] = schema
        }
    }
    return merged
}

/// Where a kind is served: its plural name in URLs and whether it lives in namespaces.
struct ServedResource: Equatable {
    var plural: String
    var namespaced: Bool
}

/// The served resources of the documents, by `apiVersion` and kind, read from their list operations
/// (`/api/v1/namespaces/{namespace}/pods` lists `Pod`: plural `pods`, namespaced).
func loadResources(directory: URL, documents: [String]) throws -> [String: ServedResource] {
    var resources: [String: ServedResource] = [:]
    for name in documents {
        let url = directory.appendingPathComponent(name + "_openapi.json")
        guard let document = try JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as? [String: Any],
            let paths = document["paths"] as? [String: [String: Any]]
        else { throw Failure("\(url.path): no paths") }
        for (path, operations) in paths.sorted(by: { $0.key < $1.key }) {
            for operation in operations.values {
                guard let operation = operation as? [String: Any], operation["x-kubernetes-action"] as? String == "list",
                    let gvk = operation["x-kubernetes-group-version-kind"] as? [String: String],
                    let group = gvk["group"], let version = gvk["version"], let kind = gvk["kind"],
                    let plural = path.split(separator: "/").last.map(String.init)
                else { continue }
                let key = "\(group.isEmpty ? version : "\(group)/\(version)") \(kind)"
                let namespaced = path.contains("{namespace}")
                resources[key] = ServedResource(plural: plural, namespaced: namespaced || resources[key]?.namespaced == true)
            }
        }
    }
    return resources
}

/// Writes the generated files, replacing the previous `Generated/` directory so removed types disappear.
func writeOutput(_ files: [GeneratedFile], to output: URL) throws {
    let manager = FileManager.default
    let generated = output.appendingPathComponent("Generated")
    if manager.fileExists(atPath: generated.path) { try manager.removeItem(at: generated) }
    try manager.createDirectory(at: generated, withIntermediateDirectories: true)
    for file in files {
        try Data(file.text.utf8).write(to: output.appendingPathComponent(file.path))
    }
}
