import Foundation

/// The `shared/` folder beside the checkout (conformance data, seeds, eval), when present.
/// It is absent on a user's clone; tests that need it skip with a message.
enum SharedData {
    static let root: URL? = {
        if let override = ProcessInfo.processInfo.environment["DRILLWATCH_SHARED"] {
            return URL(fileURLWithPath: override)
        }
        // Tests/FeedsTests/SharedData.swift → package root → ../shared
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: shared.appendingPathComponent("conformance").path) ? shared : nil
    }()

    static func url(_ relative: String) -> URL? {
        root.map { $0.appendingPathComponent(relative) }
    }
}
