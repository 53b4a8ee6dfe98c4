// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// The engine's modules are optimized in debug builds too: `swift run trellis demo` replays 90 days
/// through them, which takes minutes unoptimized and seconds optimized. Tests still build with
/// testing enabled.
let optimizedSettings: [SwiftSetting] = swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "trellis",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "trellis", targets: ["trellis"]),
        .library(name: "TrellisCore", targets: ["TrellisCore"]),
        .library(name: "TrellisStore", targets: ["TrellisStore"]),
        .library(name: "TrellisServer", targets: ["TrellisServer"]),
        .library(name: "TrellisMail", targets: ["TrellisMail"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Tests only: randomized inputs against the parsers.
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // zlib from the system (zlib1g-dev): inflate for gzip request bodies.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // SQLite's WAL appends gathered and written in a few calls a commit (a VFS over the system
        // SQLite, libsqlite3-dev): see Sources/CTrellisSQLite/include/trellis_wal_buffer.h.
        .target(name: "CTrellisSQLite", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(
            name: "TrellisCore",
            swiftSettings: optimizedSettings
        ),
        .target(
            name: "TrellisStore",
            dependencies: [
                "TrellisCore", "CTrellisSQLite",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: optimizedSettings
        ),
        // The email channel's own parts: content (Mustache), MIME, DKIM, SMTP on SwiftNIO, signed
        // links, and the DSN / ARF reports that come back.
        .target(
            name: "TrellisMail",
            dependencies: [
                "TrellisCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: optimizedSettings
        ),
        .target(
            name: "TrellisServer",
            dependencies: [
                "TrellisCore", "TrellisStore", "TrellisMail", "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: optimizedSettings
        ),
        .executableTarget(
            name: "trellis",
            dependencies: [
                "TrellisCore", "TrellisStore", "TrellisServer", "TrellisMail",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TrellisCoreTests", dependencies: ["TrellisCore"], swiftSettings: swiftSettings),
        .testTarget(name: "TrellisStoreTests", dependencies: ["TrellisStore", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: swiftSettings),
        .testTarget(name: "TrellisMailTests", dependencies: ["TrellisMail"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TrellisServerTests",
            dependencies: [
                "TrellisServer", "TrellisMail", "CZlib",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
