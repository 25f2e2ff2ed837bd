import Foundation
import Pipeline
import Settings
@testable import Classifier

/// The shipped configuration and corpus (config/ in this checkout).
enum Shipped {
    static let configFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("config/drillwatch.toml")

    static func settings() throws -> Settings { try Settings.load(configFile) }

    static func classifier(_ adjust: (inout Settings) -> Void = { _ in }) throws -> Classifier {
        var settings = try settings()
        adjust(&settings)
        return try ClassifierLoader.classifier(settings)
    }
}

/// `shared/seeds` and `shared/eval` beside the checkout, when present.
enum SharedSeeds {
    static let shared: URL? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
        if FileManager.default.fileExists(atPath: root.appendingPathComponent("seeds").path) { return root }
        print("skipped: ../shared is not present beside this checkout")
        return nil
    }()
    static var folder: URL? { shared?.appendingPathComponent("seeds") }
}
