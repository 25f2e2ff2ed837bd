import Foundation
import Pipeline
import Settings
@testable import Classifier

/// The shipped configuration and corpus (config/ in this checkout).
enum Shipped {
    static let configFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("config/drillwatch.toml")

    static func settings() throws -> Settings { try Settings.load(configFile, checkingRules: Classifier.ruleProblems) }

    static func classifier(_ adjust: (inout Settings) -> Void = { _ in }) throws -> Classifier {
        var settings = try settings()
        adjust(&settings)
        return try ClassifierLoader.classifier(settings)
    }
}
