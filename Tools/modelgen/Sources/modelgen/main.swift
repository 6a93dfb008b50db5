import Foundation

// modelgen: turns the OpenAPI v3 documents Skiff serves into the typed models of SkiffAPIModels. See README.md.

let usage = """
    usage: modelgen [--openapi DIR] [--output DIR]
      --openapi  the directory of OpenAPI v3 documents (default: api/openapi/v3)
      --output   the SkiffAPIModels source directory (default: Sources/SkiffAPIModels)
    Run from the repository root. Rewrites OUTPUT/Generated/ and OUTPUT/Namespaces.swift.
    """

/// The group-version documents Skiff serves models for; every type they reference comes along.
let servedDocuments = [
    "api__v1", "apis__apps__v1", "apis__batch__v1", "apis__autoscaling__v1", "apis__autoscaling__v2",
    "apis__coordination.k8s.io__v1", "apis__discovery.k8s.io__v1", "apis__events.k8s.io__v1", "apis__policy__v1",
    "apis__rbac.authorization.k8s.io__v1", "apis__networking.k8s.io__v1", "apis__apiextensions.k8s.io__v1",
]

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func parseArguments() throws -> (openAPI: URL, output: URL) {
    var openAPI = URL(fileURLWithPath: "api/openapi/v3")
    var output = URL(fileURLWithPath: "Sources/SkiffAPIModels")
    var arguments = CommandLine.arguments.dropFirst()
    while let flag = arguments.popFirst() {
        guard let value = arguments.popFirst() else { throw Failure(usage) }
        switch flag {
        case "--openapi": openAPI = URL(fileURLWithPath: value)
        case "--output": output = URL(fileURLWithPath: value)
        default: throw Failure(usage)
        }
    }
    return (openAPI, output)
}

do {
    let (openAPI, output) = try parseArguments()
    let schemas = try loadSchemas(directory: openAPI, documents: servedDocuments)
    let resources = try loadResources(directory: openAPI, documents: servedDocuments)
    let plan = try ModelPlan(schemas: schemas, resources: resources)
    let files = SwiftEmitter(plan: plan).files()
    try writeOutput(files, to: output)
    let lines = files.reduce(0) { $0 + $1.text.split(separator: "\n", omittingEmptySubsequences: false).count }
    print("modelgen: \(plan.models.count) models, \(plan.aliases.count) aliases, \(files.count) files, \(lines) lines")
} catch {
    FileHandle.standardError.write(Data("modelgen: \(error)\n".utf8))
    exit(1)
}
