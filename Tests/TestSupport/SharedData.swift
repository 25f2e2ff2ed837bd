import Foundation

/// The `shared/` folder beside the checkout (conformance data, seeds, eval, benchmarks), or
/// `$DRILLWATCH_SHARED`. It is absent on a user's clone; tests that need it skip with a
/// message.
public enum SharedData {
    /// The package's root folder (this checkout).
    public static let checkout = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static let root: URL? = {
        if let override = ProcessInfo.processInfo.environment["DRILLWATCH_SHARED"] {
            return URL(fileURLWithPath: override)
        }
        let shared = checkout.deletingLastPathComponent().appendingPathComponent("shared")
        if FileManager.default.fileExists(atPath: shared.appendingPathComponent("seeds").path) { return shared }
        print("skipped: ../shared is not present beside this checkout")
        return nil
    }()

    public static func url(_ relative: String) -> URL? {
        root.map { $0.appendingPathComponent(relative) }
    }
}
