// swift-tools-version: 6.1
import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "skiff",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "skiff", targets: ["skiff"]),
        .library(name: "SkiffAPI", targets: ["SkiffAPI"]),
        .library(name: "SkiffClient", targets: ["SkiffClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // JSON values: parser, serializer and Codable bridges. No dependencies beyond the standard library.
        .target(
            name: "SkiffJSON",
            dependencies: [.product(name: "OrderedCollections", package: "swift-collections")],
            swiftSettings: upcoming
        ),
        // Typed models generated from the official OpenAPI documents (Tools/modelgen).
        .target(name: "SkiffAPIModels", dependencies: ["SkiffJSON"], swiftSettings: upcoming),
        // API machinery: meta, selectors, quantities, registry of kinds, YAML, patch and apply, schemas.
        .target(
            name: "SkiffAPI",
            dependencies: ["SkiffJSON", "SkiffAPIModels", "Yams"],
            swiftSettings: upcoming
        ),
        // What only the API server reads and writes: the embedded OpenAPI documents and their gnostic protobuf
        // encoding, and the Kubernetes protobuf codec. Clients (agent, scheduler, third-party programs) do not link it.
        .target(name: "SkiffServerCodecs", dependencies: ["SkiffAPI"], swiftSettings: upcoming),
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // The MVCC store and its backends: SQLite, etcd v3 and memory.
        .target(
            name: "SkiffStorage",
            dependencies: [
                "SkiffAPI", "CSQLite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),
        // What the API server and the kubelet serve HTTPS with: the cluster CA and its certificates, self-signed
        // serving certificates, and the TLS settings both use.
        .target(
            name: "SkiffTLS",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: upcoming
        ),
        // The API server: HTTP, REST, watch cache, admission, discovery, OpenAPI, tables, auth.
        .target(
            name: "SkiffAPIServer",
            dependencies: [
                "SkiffAPI", "SkiffServerCodecs", "SkiffStorage", "SkiffTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        // Client machinery: REST client, kubeconfig, informers, work queues, leader election, events.
        .target(
            name: "SkiffClient",
            dependencies: [
                "SkiffAPI",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        // Controller manager: leader election, garbage collector, namespace controller and the other control loops.
        .target(
            name: "SkiffControllers",
            dependencies: [
                "SkiffClient", "SkiffAPI",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        // The scheduler: scheduling queue, node cache with assumed pods, filter and score plugins, binding.
        .target(
            name: "SkiffScheduler",
            dependencies: [
                "SkiffClient", "SkiffAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        // The node agent: pod workers, status, node registration and lease, the runtimes (process, simulated).
        .target(
            name: "SkiffKubelet",
            dependencies: [
                "SkiffAPI", "SkiffClient", "SkiffImages", "SkiffTLS", "SkiffHost", "CLinuxExtras", "CSkiffSpawn", "CZlib",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: upcoming
        ),
        // Services: the proxy that programs nftables from Services and EndpointSlices, and the cluster DNS.
        .target(
            name: "SkiffProxy",
            dependencies: [
                "SkiffAPI", "SkiffClient", "SkiffHost",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        // Running host programs (posix_spawn with clean signal state, output collected): the kubelet's runc and
        // CNI calls, the proxy's `nft`.
        .target(name: "SkiffHost", dependencies: ["CLinuxExtras"], swiftSettings: upcoming),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Linux calls the Glibc module leaves out (xattrs, syncfs).
        .systemLibrary(name: "CLinuxExtras", path: "Sources/CLinuxExtras"),
        // fork, namespaces, a container root and exec: the process runtime's volumes at their mountPaths.
        .target(name: "CSkiffSpawn"),
        // The node's image store: OCI layout on disk, references, archive import, layer unpacking, GC.
        .target(
            name: "SkiffImages",
            dependencies: [
                "CZlib", "CLinuxExtras",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        // Test kit: an in-process API server on memory storage, helpers to run the real kubectl.
        .target(
            name: "SkiffTesting",
            dependencies: ["SkiffAPIServer", "SkiffClient", "SkiffStorage", "SkiffHost", "CLinuxExtras"],
            swiftSettings: upcoming
        ),
        // Benchmarks behind `skiff bench`: load generators and measurements, printing JSON.
        .target(
            name: "SkiffBench",
            dependencies: [
                "SkiffAPI", "SkiffStorage", "SkiffClient", "SkiffProxy", "SkiffHost",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "skiff",
            dependencies: [
                "SkiffAPI", "SkiffStorage", "SkiffAPIServer", "SkiffClient", "SkiffControllers", "SkiffScheduler",
                "SkiffKubelet", "SkiffBench", "SkiffImages", "SkiffProxy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming,
            // A position-dependent executable: no start-up relocation of its ~70,000 pointers, whose pages
            // would otherwise be read and dirtied before the first request (idle memory).
            linkerSettings: [.unsafeFlags(["-Xclang-linker", "-no-pie"], .when(platforms: [.linux]))]
        ),
        .testTarget(name: "SkiffJSONTests", dependencies: ["SkiffJSON"], swiftSettings: upcoming),
        .testTarget(name: "SkiffAPIModelsTests", dependencies: ["SkiffAPIModels", "SkiffJSON"], swiftSettings: upcoming),
        .testTarget(name: "SkiffAPITests", dependencies: ["SkiffAPI", "SkiffServerCodecs"], swiftSettings: upcoming),
        .testTarget(name: "SkiffStorageTests", dependencies: ["SkiffStorage", "SkiffTesting"], swiftSettings: upcoming),
        .testTarget(name: "SkiffAPIServerTests", dependencies: ["SkiffAPIServer", "SkiffServerCodecs", "SkiffTesting"], swiftSettings: upcoming),
        .testTarget(name: "SkiffClientTests", dependencies: ["SkiffClient", "SkiffTesting", "SkiffBench"], swiftSettings: upcoming),
        .testTarget(name: "SkiffControllersTests",
                    dependencies: ["SkiffControllers", "SkiffClient", "SkiffTesting", .product(name: "Logging", package: "swift-log")],
                    swiftSettings: upcoming),
        .testTarget(name: "SkiffSchedulerTests", dependencies: ["SkiffScheduler", "SkiffTesting"], swiftSettings: upcoming),
        .testTarget(name: "SkiffKubeletTests",
                    dependencies: ["SkiffKubelet", "SkiffAPI", "SkiffTesting", "SkiffAPIServer", "SkiffTLS",
                                   .product(name: "Logging", package: "swift-log"),
                                   .product(name: "NIOCore", package: "swift-nio"),
                                   .product(name: "NIOPosix", package: "swift-nio"),
                                   .product(name: "NIOHTTP1", package: "swift-nio"),
                                   .product(name: "NIOWebSocket", package: "swift-nio"),
                                   .product(name: "NIOSSL", package: "swift-nio-ssl")],
                    swiftSettings: upcoming),
        .testTarget(name: "SkiffProxyTests",
                    dependencies: ["SkiffProxy", "SkiffTesting", "SkiffClient", "SkiffAPI", "SkiffHost",
                                   .product(name: "Logging", package: "swift-log"),
                                   .product(name: "NIOCore", package: "swift-nio"),
                                   .product(name: "NIOPosix", package: "swift-nio")],
                    swiftSettings: upcoming),
        .testTarget(name: "SkiffImagesTests", dependencies: ["SkiffImages", "SkiffTesting", "CLinuxExtras"], swiftSettings: upcoming),
        .testTarget(name: "IntegrationTests",
                    dependencies: ["SkiffTesting", "SkiffClient", "SkiffAPI", "SkiffStorage", "SkiffKubelet", "SkiffControllers",
                                   "SkiffScheduler", "SkiffImages", .product(name: "Logging", package: "swift-log")],
                    swiftSettings: upcoming),
    ]
)
