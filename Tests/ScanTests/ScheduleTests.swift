import Foundation
import Pipeline
import Testing

@Suite struct Scheduling {
    let now = Date(timeIntervalSince1970: 2_000_000_000)

    @Test func healthyFeedWaitsItsInterval() {
        let next = Schedule.nextFetch(after: now, interval: 900, consecutiveFailures: 0, jitter: 0)
        #expect(next.timeIntervalSince(now) == 900)
        let jittered = Schedule.nextFetch(after: now, interval: 900, consecutiveFailures: 0, jitter: 0.1)
        #expect(jittered.timeIntervalSince(now) == 990)
    }

    @Test func publisherHintsStretchTheWait() {
        #expect(Schedule.nextFetch(after: now, interval: 900, consecutiveFailures: 0, publisherHint: 3600, jitter: 0)
            .timeIntervalSince(now) == 3600)
        // A hint shorter than the interval does not make drillwatch poll faster.
        #expect(Schedule.nextFetch(after: now, interval: 900, consecutiveFailures: 0, publisherHint: 60, jitter: 0)
            .timeIntervalSince(now) == 900)
        // Capped at a day.
        #expect(Schedule.nextFetch(after: now, interval: 900, consecutiveFailures: 0, publisherHint: 7 * 86400, jitter: 0)
            .timeIntervalSince(now) == 86400)
        #expect(Schedule.maxAge("public, max-age=1800") == 1800)
        #expect(Schedule.maxAge("no-cache") == nil)
    }

    @Test func failuresBackOffButNeverStop() {
        let waits = (1...12).map {
            Schedule.nextFetch(after: now, interval: 900, consecutiveFailures: $0, jitter: 0).timeIntervalSince(now)
        }
        #expect(waits[0] == 1800 && waits[1] == 3600 && waits[2] == 7200)
        #expect(waits.last == Schedule.maxBackoff)
        #expect(waits.allSatisfy { $0 <= Schedule.maxBackoff })
    }

    @Test func retryAfterIsObeyed() {
        let later = now.addingTimeInterval(5000)
        #expect(Schedule.nextFetch(after: now, interval: 900, consecutiveFailures: 1, retryAfter: later, jitter: 0) == later)
    }
}
