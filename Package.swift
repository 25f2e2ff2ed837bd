// swift-tools-version:6.0
import PackageDescription

// The data path reads top to bottom: fetch (Curl) → parse (XML, Feeds) → the CLI.
// C libraries are reached through thin system-library shims, one per library.
let package = Package(
    name: "drillwatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "drillwatch", targets: ["drillwatch"]),
        .executable(name: "drillwatch-bench", targets: ["drillwatch-bench"]),
        .executable(name: "drillwatch-fuzz", targets: ["drillwatch-fuzz"]),
        .library(name: "DrillwatchFeeds", targets: ["Feeds"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Metrics in Prometheus's text format, and the small HTTP server (BSD sockets, no
        // SwiftNIO) that serves them on a local address: both build in seconds.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        // MARK: C shims
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CLibXML2", pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CStemmer", providers: [.apt(["libstemmer-dev"])]),
        .systemLibrary(
            name: "COpenCC", pkgConfig: "opencc",
            providers: [.apt(["libopencc-dev"])]),
        // PostgreSQL's own client library: its URLs, PGPASSFILE, sslmode and service files as
        // every PostgreSQL tool reads them, with no package to build.
        .systemLibrary(
            name: "CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),
        // glibc's close-from spawn action, which Swift's Glibc module does not export.
        .target(name: "CSpawn"),
        // glibc's allocator settings (`mallopt`), which it does not export either.
        .systemLibrary(name: "CMalloc"),
        // MinHash's inner loop on eight 64-bit lanes where the processor has AVX-512.
        .target(name: "CMinHash"),

        // MARK: Engine
        .target(name: "Locking"),
        .target(name: "SafeText"),
        .target(name: "LocalFiles"),
        .target(name: "Curl", dependencies: ["CCurl", "Locking", "SafeText", "LocalFiles"]),
        .target(name: "XML", dependencies: ["CLibXML2", "Locking"]),
        .target(name: "Model"),
        .target(name: "Feeds", dependencies: ["XML"]),
        .target(name: "Article", dependencies: ["CLibXML2", "XML", "Feeds"]),
        .target(name: "Classifier", dependencies: ["Model", "CStemmer", "COpenCC", "CMinHash", "Locking"]),
        .target(name: "Settings", dependencies: ["Classifier", "SafeText", "LocalFiles", .product(name: "TOMLKit", package: "TOMLKit")]),
        .target(name: "Store", dependencies: ["Model", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "PostgresStore", dependencies: ["CLibPQ", "Model", "Store", "Locking"]),
        .target(name: "Reports", dependencies: ["Model", "SafeText"]),
        .target(name: "Pipeline", dependencies: [
            "Model", "SafeText", "CSpawn", "CMalloc", "Curl", "LocalFiles", "Feeds", "Article", "XML", "Classifier", "Settings", "Store", "PostgresStore", "Reports",
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .target(name: "Daemon", dependencies: [
            "Pipeline", "Reports", "Settings", "Store", "Locking", "SafeText",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "FlyingFox", package: "FlyingFox"),
        ]),

        // MARK: Executables
        .executableTarget(
            name: "drillwatch",
            dependencies: [
                "Article", "Curl", "LocalFiles", "Feeds", "Model", "Classifier", "Settings", "Pipeline", "Store", "Daemon", "SafeText", "Reports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // Fuzzing: the entry points are a library so that the tests replay every kept input.
        .target(name: "FuzzTargets", dependencies: ["Article", "Feeds", "XML", "Classifier", "Model", "Settings"]),
        .executableTarget(name: "drillwatch-fuzz", dependencies: ["FuzzTargets"]),
        .executableTarget(name: "drillwatch-bench", dependencies: ["Article", "Locking", "Curl", "Feeds", "XML", "Classifier", "Model", "Settings", "Pipeline", "Store"]),

        // MARK: Tests
        .target(name: "TestSupport", dependencies: ["Locking", "CSpawn"], path: "Tests/TestSupport"),
        .testTarget(name: "CurlTests", dependencies: ["Curl", "LocalFiles", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "XMLTests", dependencies: ["XML"]),
        .testTarget(name: "ArticleTests", dependencies: ["Article", "Feeds", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SafeTextTests", dependencies: ["SafeText"]),
        .testTarget(
            name: "FeedsTests", dependencies: ["Feeds", "TestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "ClassifierTests", dependencies: ["Classifier", "CMinHash", "Locking", "Model", "Settings", "Pipeline", "TestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "SettingsTests", dependencies: ["Settings", "Classifier", "Model"]),
        .testTarget(name: "ScanTests", dependencies: [
            "Pipeline", "Store", "PostgresStore", "Reports", "Settings", "Model", "Daemon", "TestSupport", "Locking",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["Golden"]),  // read from the source tree, so that they can be regenerated in place
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets"], resources: [.copy("Inputs")]),
        .testTarget(name: "CLITests", dependencies: ["drillwatch", "TestSupport", "Locking"]),
    ],
    swiftLanguageModes: [.v6]
)
