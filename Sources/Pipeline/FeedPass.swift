import Curl
import Feeds
import Foundation
import Model
import Settings
import Store

/// One feed's way through a scan, as named steps (Miniflux's refresh reads the same way):
///
/// 1. `record` — the fetch result into the feed's state: health, validators, redirects
///    (pure);
/// 2. `parsed` — the parsed document's hints and validators (pure), or `parseFailed`;
/// 3. `FeedScanner.select` — the entries not seen before, capped (reads the store);
/// 4. `judged` — each new item classified and turned into a `Judgement`; alerts held back
///    for old items on a first fetch (pure given the verdicts);
/// 5. `FeedScanner.commit` — state, judgements and alerts in one transaction;
/// 6. `FeedScanner.flushOutbox` — alert files and `alerts.xml`, then deliveries.
struct FeedPass {
    let feed: FeedSettings
    let previous: FeedState
    let time: Date
    var state: FeedState
    var outcome: FeedOutcome
    /// The response to parse, when the fetch brought a document.
    var response: HTTPResponse?
    /// Shut down mid-fetch: nothing is recorded for this feed.
    var cancelled = false
    var retryAfter: Date?
    var publisherHint: TimeInterval?
    var judgements: [Judgement] = []
    var alerts: [Judgement] = []

    /// Step 1: what the fetch result says about the feed.
    static func record(_ result: Result<HTTPResponse, FetchError>, feed: FeedSettings, previous: FeedState, at time: Date) -> FeedPass {
        var pass = FeedPass(feed: feed, previous: previous, time: time, state: previous, outcome: FeedOutcome(feed: feed.name, status: .fetched))
        pass.state.lastFetch = time
        if pass.state.url != feed.url {
            pass.state.movedTo = nil
            pass.state.movedCount = 0
        }
        pass.state.url = feed.url
        switch result {
        case .failure(.cancelled):
            pass.outcome.status = .failed("cancelled")
            pass.cancelled = true
        case .failure(let error):
            pass.fail(error.description, status: nil)
        case .success(let response):
            pass.outcome.httpStatus = response.status
            pass.outcome.bytes = response.body.count
            pass.recordRedirect(response)
            pass.retryAfter = response.retryAfter
            pass.publisherHint = Schedule.maxAge(response.headers.value(for: "Cache-Control"))
            if response.isNotModified {
                pass.outcome.status = .notModified
                pass.succeed(status: 304)
            } else if !response.isSuccess {
                let retry = response.retryAfter.map { max(0, Int($0.timeIntervalSince(time))) }
                pass.fail(FetchError.httpStatus(url: feed.url, status: response.status, retryAfterSeconds: retry).description,
                          status: response.status)
            } else {
                pass.response = response
            }
        }
        return pass
    }

    /// A feed that said twice in a row that it moved permanently is fetched at its new
    /// address from then on (a single 301 can be a publisher's mistake).
    private mutating func recordRedirect(_ response: HTTPResponse) {
        if let moved = response.permanentRedirect {
            state.movedCount = moved == state.movedTo ? state.movedCount + 1 : 1
            state.movedTo = moved
        } else if FeedScanner.fetchURL(feed, previous) == feed.url {
            state.movedTo = nil
            state.movedCount = 0
        }
    }

    private mutating func fail(_ message: String, status: Int?) {
        outcome.status = .failed(message)
        state.lastStatus = status
        state.lastError = message
        state.errorCount += 1
    }

    private mutating func succeed(status: Int) {
        outcome.recovered = previous.errorCount > 0
        state.lastStatus = status
        state.lastSuccess = time
        state.lastError = nil
        state.errorCount = 0
    }

    /// Step 2: a document was parsed.
    mutating func parsed(_ channel: FeedInfo, entries: Int, _ response: HTTPResponse) {
        let hints = [channel.ttlMinutes.map { TimeInterval($0 * 60) }, channel.updateIntervalSeconds.map(TimeInterval.init), publisherHint]
        publisherHint = hints.compactMap { $0 }.max()
        succeed(status: response.status)
        state.etag = response.validators.etag
        state.lastModified = response.validators.lastModified
        outcome.items = entries
    }

    /// Step 2, failed: the feed answered with something that is not a feed.
    mutating func parseFailed(_ error: FeedError, _ response: HTTPResponse) {
        self.response = nil
        fail(error.description, status: response.status)
        outcome.status = .failed("\(feed.name): \(error.description)")
    }

    /// Step 4: the new items' verdicts. On a feed's first fetch (or the backlog of a capped
    /// one) old items are recorded but raise no alert; nor does an item published before the
    /// retention horizon (it may have been seen, and pruned, long ago).
    mutating func judged(_ item: Item, _ verdict: Verdict, firstRunHorizon: Date, retentionHorizon: Date?) {
        let judgement = Judgement(feed: feed.name, item: item, verdict: verdict, firstSeen: time)
        outcome.newItems += 1
        switch verdict.kind {
        case .alert:
            let firstRun = previous.lastSuccess == nil || previous.capped > 0
            let published = item.published ?? time
            let tooOld = (firstRun && published < firstRunHorizon) || (retentionHorizon.map { published < $0 } ?? false)
            if !tooOld {
                alerts.append(judgement)
                outcome.alerts += 1
            }
        case .duplicate: outcome.duplicates += 1
        case .review: outcome.reviews += 1
        case .ignore: break
        }
        judgements.append(judgement)
    }

    /// The next fetch, and the counts a parsed feed adds to its state.
    mutating func finish() {
        if response != nil {
            state.itemsSeen = previous.itemsSeen + outcome.newItems
            state.capped = outcome.capped
        }
        state.nextDue = Schedule.nextFetch(after: time, interval: feed.intervalMinutes * 60, consecutiveFailures: state.errorCount,
                                           publisherHint: publisherHint, retryAfter: retryAfter)
    }
}
