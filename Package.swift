// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "nova-swift",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "nova-server", targets: ["nova-server"]),
        .executable(name: "nova-bench", targets: ["nova-bench"]),
        .executable(name: "nova", targets: ["nova"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
    ],
    targets: [
        // L0: domain values and rules, no I/O.
        .target(
            name: "NovaCore",
            swiftSettings: strict),
        // L1
        .target(name: "PlacementCore", dependencies: ["NovaCore"], swiftSettings: strict),
        .target(name: "NovaScheduler", dependencies: ["NovaCore", "PlacementCore"], swiftSettings: strict),
        .target(name: "NovaVirt", dependencies: ["NovaCore"], swiftSettings: strict),
        // The Neutron subset's rules: records, address allocation, mechanism drivers (no I/O).
        .target(name: "NetworkCore", dependencies: ["NovaCore"], swiftSettings: strict),
        .target(name: "VolumeCore", dependencies: ["NovaCore"], swiftSettings: strict),
        // OVSDB protocol client (RFC 7047): knows nothing of Nova or OVN.
        .target(
            name: "OVSDB",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // What a guest learns about itself: the metadata service's and the config drive's files.
        .target(
            name: "NovaMetadata", dependencies: ["NovaCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        // ML2/OVN: the networking records written into OVN's northbound database.
        .target(
            name: "NetworkOVN",
            dependencies: ["NetworkCore", "NovaCore", "OVSDB", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .target(
            name: "QMP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .target(name: "HostSystem", dependencies: ["NovaCore", "OVSDB"], swiftSettings: strict),
        .target(
            name: "MetadataAgent",
            dependencies: [
                "HostSystem", "NovaCore", "NovaMetadata", "OVSDB",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(
            name: "NovaVirtQEMU",
            dependencies: [
                "HostSystem", "NovaCore", "NovaVirt", "NovaMetadata", "QMP", "OVSDB",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // L2
        .target(
            name: "NovaConductor",
            dependencies: ["NovaCore", "PlacementCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .target(
            name: "NovaCompute",
            dependencies: ["NovaCore", "NovaVirt", "PlacementCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // Adapters
        .target(name: "NovaConfig", swiftSettings: strict),
        .target(
            name: "NovaBus",
            dependencies: ["NovaCore", "NATSClient", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .target(
            name: "NATSClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .target(
            name: "NovaDB",
            dependencies: [
                "NovaCore", "PlacementCore", "NetworkCore", "VolumeCore",
                .product(name: "SQLKit", package: "sql-kit"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(
            name: "APISupport",
            dependencies: [
                "NovaCore", "NovaConfig", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .target(
            name: "IdentityService",
            dependencies: [
                "NovaCore", "NovaDB", "APISupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        .target(
            name: "ImageService",
            dependencies: [
                "NovaCore", "NovaDB", "APISupport", "IdentityService",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        .target(
            name: "ComputeAPI",
            dependencies: [
                "NovaCore", "NovaDB", "NovaBus", "APISupport", "IdentityService", "ImageService", "PlacementCore",
                "NetworkCore", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        .target(
            name: "NetworkAPI",
            dependencies: [
                "NovaCore", "NetworkCore", "NovaDB", "APISupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .target(
            name: "VolumeAPI",
            dependencies: [
                "NovaCore", "VolumeCore", "NovaDB", "APISupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(name: "VolumeBackends", dependencies: ["NovaCore", "VolumeCore", "HostSystem"], swiftSettings: strict),
        .target(
            name: "PlacementAPI",
            dependencies: [
                "NovaCore", "PlacementCore", "APISupport",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict),
        .target(
            name: "ConsoleProxy",
            dependencies: [
                "NovaCore", "NovaDB", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // HTTP clients one service uses to reach another (Placement, Glance) with a Keystone token.
        .target(
            name: "EC2API",
            dependencies: [
                "NovaCore", "NovaDB", "APISupport", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        .target(
            name: "ServiceClients",
            dependencies: [
                "NovaCore", "NovaDB", "PlacementCore", "NovaVirt", "VolumeCore", "APISupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict),
        // Wiring shared by the executables and the functional tests.
        .target(
            name: "NovaCloud",
            dependencies: [
                "NovaCore", "NovaDB", "NovaBus", "NovaConfig", "NovaScheduler", "NovaVirt", "NovaVirtQEMU",
                "MetadataAgent",
                "ConsoleProxy",
                "NovaConductor", "NovaCompute", "IdentityService", "ImageService", "ComputeAPI",
                "NetworkCore", "NetworkAPI", "NetworkOVN", "NovaMetadata", "APISupport", "PlacementCore",
                "VolumeCore", "VolumeAPI", "VolumeBackends",
                "PlacementAPI", "EC2API",
                "ServiceClients",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "nova-server",
            dependencies: [
                "NovaCloud", "NovaConfig", "NovaDB",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "nova-bench",
            dependencies: [
                "NovaCore", "NovaScheduler", "PlacementCore", "QMP", "NATSClient", "NovaBus", "IdentityService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // The `nova` command-line client: a library (tested) and the executable.
        .target(
            name: "NovaClientKit",
            dependencies: [
                "NovaCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "nova",
            dependencies: [
                "NovaClientKit", "NovaCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .testTarget(name: "NovaCLITests", dependencies: ["nova", "NovaClientKit", "NovaCore"], swiftSettings: strict),
        .testTarget(name: "NovaClientKitTests", dependencies: ["NovaClientKit", "NovaCore"], swiftSettings: strict),
        .testTarget(name: "NovaCoreTests", dependencies: ["NovaCore"], swiftSettings: strict),
        .testTarget(name: "NovaMetadataTests", dependencies: ["NovaMetadata", "NovaCore"], swiftSettings: strict),
        .testTarget(name: "OVSDBTests", dependencies: ["OVSDB", "NovaTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "NetworkOVNTests",
            dependencies: ["NetworkOVN", "NetworkCore", "MetadataAgent", "OVSDB", "NovaTestSupport"],
            swiftSettings: strict),
        .testTarget(name: "NetworkCoreTests", dependencies: ["NetworkCore", "NovaCore"], swiftSettings: strict),
        .testTarget(
            name: "VolumeBackendTests", dependencies: ["VolumeBackends", "VolumeCore", "NovaCore", "HostSystem"],
            swiftSettings: strict),
        .testTarget(
            name: "QMPTests",
            dependencies: [
                "QMP", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "NovaSchedulerTests", dependencies: ["NovaScheduler", "NovaCore", "PlacementCore"],
            swiftSettings: strict),
        .testTarget(name: "PlacementCoreTests", dependencies: ["PlacementCore", "NovaCore"], swiftSettings: strict),
        .testTarget(name: "NovaConfigTests", dependencies: ["NovaConfig"], swiftSettings: strict),
        .testTarget(name: "NATSClientTests", dependencies: ["NATSClient", "NovaTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "ComputeAPITests", dependencies: ["ComputeAPI", "APISupport", "NovaCore"], swiftSettings: strict),
        .testTarget(
            name: "IdentityServiceTests", dependencies: ["IdentityService", "NovaCore"], swiftSettings: strict),
        // Helpers shared by the functional and integration tests: a cloud under test and its HTTP client.
        .target(
            name: "NovaTestSupport",
            dependencies: [
                "NovaCloud", "NovaCore", "NovaVirt", "NATSClient", "OVSDB", "HostSystem",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "NovaVirtTests",
            dependencies: ["HostSystem", "NovaVirt", "NovaCore", "NovaTestSupport", "NovaVirtQEMU"],
            swiftSettings: strict),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "NovaTestSupport", "NovaCloud", "NovaCore", "NovaVirt", "NovaVirtQEMU", "QMP", "VolumeBackends",
                "VolumeCore", "HostSystem",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "FunctionalTests",
            dependencies: [
                "NovaTestSupport", "NovaCloud", "NovaConfig", "NovaCore", "NovaVirt", "NovaDB", "ServiceClients",
                "PlacementCore", "IdentityService", "APISupport", "NetworkCore", "NetworkOVN", "OVSDB",
                "NovaBus", "NATSClient", .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: strict),
    ]
)
