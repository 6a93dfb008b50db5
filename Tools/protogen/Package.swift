// swift-tools-version: 6.1
// Generates Sources/SkiffServerCodecs/Protobuf/Generated/ from the upstream Kubernetes proto definitions.
// Standalone (Foundation only) and not built by CI: run it by hand when the upstream types change (README.md).
import PackageDescription

let package = Package(
    name: "protogen",
    targets: [
        .executableTarget(
            name: "protogen",
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ]
        )
    ]
)
