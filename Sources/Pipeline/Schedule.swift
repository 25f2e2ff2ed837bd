import Foundation

/// When a feed is next fetched.
///
/// - A healthy feed waits its configured interval (±10% jitter, so hundreds of feeds do not
///   fire at the same second), or longer when the publisher asks for it — RSS `<ttl>`,
///   `sy:updatePeriod`, `Cache-Control: max-age` — up to a day.
/// - `Retry-After` (on 429/503, or any response) is obeyed.
/// - A failing feed backs off exponentially (interval × 2^failures, capped at `maxBackoff`)
///   and keeps being retried: it is never abandoned, and `status` and the digest show it.
public enum Schedule {
    public static let maxBackoff: TimeInterval = 6 * 3600
    public static let maxHint: TimeInterval = 24 * 3600

    public static func nextFetch(
        after now: Date, interval: TimeInterval, consecutiveFailures: Int, publisherHint: TimeInterval? = nil,
        retryAfter: Date? = nil, jitter: Double = Double.random(in: -0.1...0.1)
    ) -> Date {
        var wait = interval
        if consecutiveFailures > 0 {
            wait = min(maxBackoff, interval * pow(2, Double(min(consecutiveFailures, 20))))
        } else if let hint = publisherHint, hint > wait {
            wait = min(maxHint, hint)
        }
        var next = now.addingTimeInterval(wait * (1 + jitter))
        if let retryAfter, retryAfter > next { next = min(retryAfter, now.addingTimeInterval(maxHint)) }
        return next
    }

    /// `Cache-Control: max-age=N` in seconds.
    public static func maxAge(_ cacheControl: String?) -> TimeInterval? {
        guard let cacheControl else { return nil }
        for directive in cacheControl.split(separator: ",") {
            let parts = directive.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0].lowercased() == "max-age", let seconds = Double(parts[1]), seconds > 0 { return seconds }
        }
        return nil
    }
}
