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
