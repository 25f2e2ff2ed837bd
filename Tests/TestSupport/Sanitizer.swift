import Foundation

/// Whether the tests run under a sanitizer: `scripts/sanitize` sets the sanitizer's options.
/// Bounds that catch a hang (not slowness) are wider there: instrumented code runs several
/// times slower, and with the whole suite running at once a test waits for the rest.
public enum Sanitizer {
    public static var isActive: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["ASAN_OPTIONS"] != nil || environment["TSAN_OPTIONS"] != nil
    }

    /// AddressSanitizer's alone (its redzones make stack frames larger).
    public static var isAddress: Bool { ProcessInfo.processInfo.environment["ASAN_OPTIONS"] != nil }
}
