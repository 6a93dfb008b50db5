// swift-tools-version: 6.1
// Measures decoding and encoding SkiffAPIModels on the test fixtures. Not built by CI: `swift run -c release` here.
import PackageDescription

let package = Package(
    name: "modelbench",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "skiff", path: "../../..")],
    targets: [
        .executableTarget(
            name: "modelbench",
            dependencies: [.product(name: "SkiffAPI", package: "skiff")],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ]
        )
    ]
)
