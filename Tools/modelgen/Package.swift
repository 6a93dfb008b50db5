// swift-tools-version: 6.1
// Generates Sources/SkiffAPIModels/Generated/ from the OpenAPI v3 documents in api/openapi/v3.
// Standalone (Foundation only) and not built by CI: run it by hand when the documents change (README.md).
import PackageDescription

let package = Package(
    name: "modelgen",
    targets: [
        .executableTarget(
            name: "modelgen",
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ]
        )
    ]
)
